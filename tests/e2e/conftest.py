"""Real processes: the `marginalia` command, gunicorn and the worker, on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, TEST_REDIS_URL

MARGINALIA = str(Path(sys.executable).with_name("marginalia"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server_env(tmp_path, worker_id):
    """Environment for a `marginalia` process with its own database and instance folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARGINALIA_")}
    env.update(
        {
            "MARGINALIA_INSTANCE_PATH": str(tmp_path / "instance"),
            "MARGINALIA_PORT": str(free_port()),
            "MARGINALIA_LOG_LEVEL": "WARNING",
            "MARGINALIA_SECRET_KEY": "e2e-secret",
        }
    )
    schema = None
    if ON_POSTGRES:
        schema = f"e2e_{uuid.uuid4().hex[:10]}"
        engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["MARGINALIA_DATABASE_URL"] = (
            f"{TEST_DATABASE_URL}?options={quote(f'-csearch_path={schema}')}"
        )
    if TEST_REDIS_URL:
        parts = urlsplit(TEST_REDIS_URL)
        number = 8 + (0 if worker_id == "master" else int(worker_id.removeprefix("gw")))
        env["MARGINALIA_REDIS_URL"] = f"{parts.scheme}://{parts.netloc}/{number}"
        import redis

        redis.Redis.from_url(env["MARGINALIA_REDIS_URL"]).flushdb()
    yield env
    if schema:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def run(env, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MARGINALIA, *args], env=env, capture_output=True, text=True, timeout=120, check=check
    )


class Running:
    def __init__(self, env, *args):
        self.process = subprocess.Popen(
            [MARGINALIA, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> str:
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


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
