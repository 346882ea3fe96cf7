"""A real `marginalia worker` process, killed mid-batch, its queue wiped, restarted:
every event still reaches the receiver (at least once) and the log shows it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 150


def _environment(tmp_path: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINALIA_")}
    env.update(
        PYTHONPATH=str(ROOT),
        MARGINALIA_DATABASE_URL=f"sqlite:///{tmp_path}/marginalia.db",
        MARGINALIA_REDIS_URL=redis_url,
        MARGINALIA_INSTANCE_PATH=str(tmp_path),
        MARGINALIA_SECRET_KEY="e2e-secret-key",
        MARGINALIA_ALLOW_PRIVATE_TARGETS="true",
        MARGINALIA_WEBHOOK_TIMEOUT="0.5",  # a killed worker's lease lapses in 2.5 s
        MARGINALIA_LOG_LEVEL="WARNING",
        MARGINALIA_DEMO_ON_EMPTY="false",
    )
    return env


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "worker", "--threads", "2"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")
        time.sleep(0.02)


def test_killed_worker_and_lost_queue_lose_no_event(tmp_path, receiver, worker_id):
    redis_url = ""
    if base := os.environ.get("MARGINALIA_REDIS_URL"):
        number = 12 + (0 if worker_id == "master" else int(worker_id.removeprefix("gw")))
        redis_url = f"{base.rsplit('/', 1)[0]}/{number}"
        redis.Redis.from_url(redis_url).flushdb()
    env = _environment(tmp_path, redis_url)
    log = tmp_path / "worker.log"
    receiver.delay = 0.004  # slow enough to kill the worker mid-batch

    scenario = Path(__file__).with_name("worker_scenario.py")
    setup = subprocess.run(
        [sys.executable, str(scenario), receiver.url, str(EVENTS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    secret = json.loads(setup.stdout.strip().splitlines()[-1])["secret"]

    worker = _start_worker(env, log)
    try:
        _wait(lambda: len(receiver.received) >= 30, 60, "the first deliveries", log)
        worker.send_signal(signal.SIGKILL)
        worker.wait(5)
    finally:
        if worker.poll() is None:
            worker.kill()
    delivered_before = len(receiver.received)
    assert delivered_before < EVENTS, "the worker finished before it could be killed"

    # The queue is lost: everything queued (dispatches, drains, retries) is gone.
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    else:
        for name in ("queue.db", "queue.db-wal", "queue.db-shm"):
            (tmp_path / name).unlink(missing_ok=True)

    engine = create_engine(env["MARGINALIA_DATABASE_URL"])

    def logged() -> dict[str, int]:
        with engine.connect() as connection:
            return dict(
                connection.execute(
                    text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
                ).all()
            )

    worker = _start_worker(env, log)
    try:
        _wait(lambda: logged() == {"succeeded": EVENTS}, 60, "every delivery to succeed", log)
    finally:
        # A loaded machine can take seconds to finish the in-flight work; the test is
        # about what got delivered, not about how fast the worker stops.
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)

    wanted = {str(n) for n in range(1, EVENTS + 1)}
    assert set(receiver.ids()) == wanted  # every event arrived, under its own id
    payloads = receiver.verify_all(secret)
    assert all(
        str(p["id"]) == r.webhook_id for p, r in zip(payloads, receiver.received, strict=True)
    )
    with engine.connect() as connection:
        logged_successes = connection.execute(
            text("SELECT count(DISTINCT delivery_id) FROM webhook_attempts WHERE status_code = 200")
        ).scalar_one()
    engine.dispose()
    assert logged_successes == EVENTS
