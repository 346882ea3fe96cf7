"""Clients nobody here wrote, generated from openapi.yaml, against a real server.

Once per test session (per xdist worker): `marginalia serve` on 127.0.0.1 with the demo
content, on this leg's database (its own PostgreSQL schema, its own Redis database) and
staff tokens issued by the CLI. The Node tools come from npm's lock file in
tests/contract/clients (`npm ci` there; .ci/run does it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Running, marginalia_environment, run, wait_until_up, worker_offset

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "openapi.yaml"
CLIENTS = Path(__file__).parent / "clients"
# Redis databases 1-7 are the test processes', 8-11 the e2e servers'.
REDIS_DATABASE = 12


@dataclass
class LiveServer:
    base_url: str
    admin: str
    moderator: str


def _node_tools() -> Path:
    binaries = CLIENTS / "node_modules" / ".bin"
    assert shutil.which("node") and (binaries / "tsc").exists(), (
        "Node or the contract tools are missing: run `npm ci` in tests/contract/clients"
    )
    return binaries


def node_tool(name: str, *args: str, cwd: Path = CLIENTS, timeout: int = 300):
    """Run one of the npm tools of tests/contract/clients (no telemetry, no update checks)."""
    env = {
        **os.environ,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "SCARF_ANALYTICS": "false",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [str(_node_tools() / name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, worker_id):
    """`marginalia serve` with the demo content, as a frontend developer starts it."""
    number = REDIS_DATABASE + worker_offset(worker_id)
    # The flows register a webhook on this machine; nothing else is reached.
    settings = {"MARGINALIA_ALLOW_PRIVATE_TARGETS": "true"}
    instance = tmp_path_factory.mktemp("live") / "instance"
    with marginalia_environment(instance, "contract", number, settings) as env:
        server = Running(env, "serve", "--threads", "4")
        try:
            base_url = f"http://127.0.0.1:{env['MARGINALIA_PORT']}"
            wait_until_up(base_url, server)

            def token(role: str) -> str:
                return run(env, "token", "create", "--role", role, "--name", f"{role}-contract")

            admin = token("admin").stdout.strip()
            # Every flow comments from 127.0.0.1, as separate readers would from separate
            # addresses; WordPress's flood check (one comment per 15 s per address) would
            # otherwise refuse the second flow that runs within 15 s of the first.
            httpx.patch(
                f"{base_url}/v1/settings/discussion",
                json={"flood_interval": 0},
                headers={"Authorization": f"Bearer {admin}"},
            ).raise_for_status()
            yield LiveServer(base_url, admin, token("moderator").stdout.strip())
        finally:
            server.stop()
