"""Real processes: the `marginalia` command, gunicorn and the worker, on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, TEST_REDIS_URL, stop_process

MARGINALIA = str(Path(sys.executable).with_name("marginalia"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def marginalia_environment(
    instance: Path, label: str, redis_database: int, settings: dict[str, str]
) -> Iterator[dict[str, str]]:
    """Environment for a `marginalia` process of this checkout: its own instance folder
    and port, its own PostgreSQL schema (dropped afterwards) on the PostgreSQL leg, and
    Redis database `redis_database` (flushed) when Redis is configured."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARGINALIA_")}
    # The code under test, even when the `marginalia` script belongs to another checkout.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(
        {
            "MARGINALIA_INSTANCE_PATH": str(instance),
            "MARGINALIA_PORT": str(free_port()),
            "MARGINALIA_LOG_LEVEL": "WARNING",
            "MARGINALIA_SECRET_KEY": f"{label}-secret",
            **settings,
        }
    )
    schema = None
    if ON_POSTGRES:
        schema = f"{label}_{uuid.uuid4().hex[:10]}"
        engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["MARGINALIA_DATABASE_URL"] = (
            f"{TEST_DATABASE_URL}?options={quote(f'-csearch_path={schema}')}"
        )
    if TEST_REDIS_URL:
        import redis

        parts = urlsplit(TEST_REDIS_URL)
        env["MARGINALIA_REDIS_URL"] = f"{parts.scheme}://{parts.netloc}/{redis_database}"
        redis.Redis.from_url(env["MARGINALIA_REDIS_URL"]).flushdb()
    try:
        yield env
    finally:
        if schema:
            with engine.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


def worker_offset(worker_id: str) -> int:
    return 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))


@pytest.fixture
def server_env(tmp_path, worker_id):
    """Environment for a `marginalia` process with its own database and instance folder."""
    with marginalia_environment(
        tmp_path / "instance", "e2e", 8 + worker_offset(worker_id), {}
    ) as env:
        yield env


def run(env, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MARGINALIA, *args], env=env, capture_output=True, text=True, timeout=120, check=check
    )


class Running:
    """A `marginalia` process whose output goes to a file, read when it stops: a pipe
    nobody drains fills at 64 KiB and then blocks the process on its next log line (a
    worker's start-up tracebacks, before the server has migrated, filled it)."""

    def __init__(self, env, *args):
        self.output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [MARGINALIA, *args],
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> str:
        stop_process(self.process, timeout=20)
        if self.output.closed:
            return ""
        self.output.seek(0)
        text = self.output.read()
        self.output.close()
        return text


@pytest.fixture
def start():
    """Start `marginalia ARGS...` in the background; stopped at the end of the test."""
    running: list[Running] = []

    def launch(env, *args) -> Running:
        process = Running(env, *args)
        running.append(process)
        return process

    yield launch
    for process in running:
        process.stop()


def wait_until_up(base_url: str, process: Running, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.process.poll() is not None:
            raise AssertionError(f"server exited:\n{process.stop()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not come up")
