"""The real WordPress and Ghost clients (`wpapi`, `@tryghost/content-api`, Node 20,
from npm's lock file in tests/compat/clients) run their flows (clients/*.cjs) against a
real `marginalia serve`: once with the demo content, once with WordPress's theme unit
test export imported by `marginalia import wordpress` while the server runs (its cached
answers dropped by the import's event), on this leg's database and Redis.

Needs Node and `npm ci` in tests/compat/clients (.ci/run does it); without them it fails
and says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Running, marginalia_environment, run, wait_until_up
from tests.transfer.conftest import WXR_FIXTURE

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = Path(__file__).parent / "clients"
# Redis databases 1-7 are the test processes', 8-11 the e2e servers', 12 the contract's.
REDIS_DATABASE = 13


@dataclass
class Site:
    base_url: str
    admin: str
    key: str
    posts: int


@pytest.fixture(scope="module", params=["demo", "wordpress-import"])
def site(request, tmp_path_factory):
    assert shutil.which("node") and (CLIENTS / "node_modules" / "wpapi").is_dir(), (
        "Node or the client packages are missing: run `npm ci` in tests/compat/clients"
    )
    demo = request.param == "demo"
    settings = {
        "MARGINALIA_DEMO_ON_EMPTY": "true" if demo else "false",
        # No worker: the imported posts link to other sites, and their pings (which
        # would resolve those names) are no business of these tests.
        "MARGINALIA_INLINE_WORKER": "false",
    }
    instance = tmp_path_factory.mktemp("compat") / "instance"
    with marginalia_environment(instance, "compat", REDIS_DATABASE, settings) as env:
        base_url = env["MARGINALIA_API_URL"] = f"http://127.0.0.1:{env['MARGINALIA_PORT']}"
        server = Running(env, "serve", "--threads", "4")
        try:
            yield _prepared(env, base_url, server, demo)
        finally:
            server.stop()


def _prepared(env: dict, base_url: str, server: Running, demo: bool) -> Site:
    wait_until_up(base_url, server)
    admin = run(env, "token", "create", "--role", "admin", "--name", "compat").stdout.strip()
    headers = {"Authorization": f"Bearer {admin}"}
    # The flows comment from 127.0.0.1 as one reader would: no flood wait between runs.
    httpx.patch(
        f"{base_url}/v1/settings/discussion", json={"flood_interval": 0}, headers=headers
    ).raise_for_status()
    if not demo:
        assert WXR_FIXTURE.is_file(), f"the shared WordPress fixture is missing: {WXR_FIXTURE}"
        before = httpx.get(f"{base_url}/wp-json/wp/v2/posts").headers["X-WP-Total"]
        assert before == "0"  # and now cached: the import must drop it
        run(env, "import", "wordpress", str(WXR_FIXTURE))  # check=True: exit code 0
    key = httpx.post(
        f"{base_url}/v1/content-keys", json={"name": "clients"}, headers=headers
    ).json()["key"]
    total = httpx.get(f"{base_url}/wp-json/wp/v2/posts").headers["X-WP-Total"]
    assert demo or int(total) > 10, total  # the import's posts, not the cached 0
    return Site(base_url, admin, key, int(total))


def run_node(script: str, *args: str) -> dict:
    done = subprocess.run(
        ["node", script, *args], cwd=CLIENTS, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_wpapi_discovers_pages_embeds_and_comments(site):
    summary = run_node("wpapi_flow.cjs", f"{site.base_url}/")
    assert summary["endpoint"] == f"{site.base_url}/wp-json/"
    assert summary["posts"] == site.posts
    assert "author" in summary["embedded"]
    assert summary["created"]["status"] in ("hold", "approved")


def test_ghost_content_api_client_browses_reads_and_filters(site):
    summary = run_node("ghost_flow.cjs", site.base_url, site.key)
    assert summary["posts"] >= 1 and summary["authors"] >= 1 and summary["tags"] >= 1
    assert summary["settings"] == "Marginalia"
    if site.posts > 10:  # the imported site: its tags have posts on several pages
        assert summary["tags"] > 100
