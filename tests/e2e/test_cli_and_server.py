"""A newcomer's path: the `marginalia` command and the real server."""

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.e2e.conftest import run, wait_until_up

ROOT = Path(__file__).resolve().parents[2]


def test_bad_setting_fails_at_start_with_one_line(server_env):
    result = run({**server_env, "MARGINALIA_PORT": "eighty"}, "demo", check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == "marginalia: MARGINALIA_PORT must be an integer, not 'eighty'"


def test_demo_loads_once_and_tokens_are_issued(server_env):
    first = run(server_env, "demo")
    assert "Demo content loaded." in first.stdout
    again = run(server_env, "demo")
    assert "already there" in again.stdout
    token = run(server_env, "token", "create", "--role", "admin").stdout.strip()
    assert token.startswith("mgl_") and len(token) > 40
    refused = run(server_env, "token", "create", "--role", "author", check=False)
    assert refused.returncode != 0
    assert "author" in refused.stderr
    author = run(
        server_env, "token", "create", "--role", "author", "--author", "china-copyright-and-media"
    )
    assert author.stdout.strip().startswith("mgl_")


def test_openapi_command_writes_the_committed_contract(server_env, tmp_path):
    output = tmp_path / "openapi.yaml"
    run(server_env, "openapi", "--output", str(output))
    assert output.read_text() == (ROOT / "openapi.yaml").read_text()


def test_serve_runs_demo_content_and_the_worker_publishes_scheduled_posts(server_env, start):
    base = f"http://127.0.0.1:{server_env['MARGINALIA_PORT']}"
    server = start(server_env, "serve")
    if "MARGINALIA_REDIS_URL" in server_env:  # production topology: a separate worker
        start(server_env, "worker")
    wait_until_up(base, server)

    listed = httpx.get(f"{base}/v1/posts")
    assert listed.status_code == 200
    assert "/" not in listed.headers.get("server", "")  # no server version leaks
    slugs = [p["slug"] for p in listed.json()["items"]]
    assert "liu-yunshan-safeguard-cybersecurity-build-a-strong-network-country" in slugs
    assert (
        httpx.get(f"{base}/v1/posts", headers={"If-None-Match": listed.headers["ETag"]}).status_code
        == 304
    )
    page, seen = f"{base}/v1/posts?limit=1", []
    while page:
        response = httpx.get(page)
        seen += [p["slug"] for p in response.json()["items"]]
        following = re.search(r'<([^>]*)>; rel="next"', response.headers.get("Link", ""))
        page = f"{base}{following[1]}" if following else None
    assert sorted(seen) == sorted(slugs)

    token = run(server_env, "token", "create", "--role", "editor").stdout.strip()
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    created = httpx.post(
        f"{base}/v1/posts",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "title": "Scheduled hello",
            "status": "scheduled",
            "published_at": soon,
            "author": "china-copyright-and-media",
        },
    )
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/v1/posts/scheduled-hello").status_code == 200:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the worker did not publish the scheduled post")
    ready = httpx.get(f"{base}/readyz").json()
    assert ready["checks"]["database"] == "ok"
    assert ready["checks"].get("redis", "ok") == "ok"
