"""The real WordPress and Ghost clients (`wpapi`, `@tryghost/content-api`, Node 20,
from npm) run their flows (tests/compat/clients/*.cjs) against the stub server that
serves api.compat's shapes, and the requests they made are what we expect them to
make. The same scripts are meant to run against the app once the adapters exist.

Needs Node and `npm ci` in tests/compat/clients (.ci/run does it); without them it fails
and says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

CLIENTS = Path(__file__).parent / "clients"
GHOST_KEY = "0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def stub():
    assert shutil.which("node") and (CLIENTS / "node_modules" / "wpapi").is_dir(), (
        "Node or the client packages are missing: run `npm ci` in tests/compat/clients"
    )
    process = subprocess.Popen(
        [sys.executable, str(CLIENTS / "stub_server.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("READY "), line + process.stderr.read()
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def run_node(script: str, *args: str) -> dict:
    done = subprocess.run(
        ["node", script, *args], cwd=CLIENTS, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def requests_made(base: str) -> list[dict]:
    with urllib.request.urlopen(f"{base}/__log", timeout=10) as response:
        return json.load(response)


def test_wpapi_discovers_pages_embeds_and_comments(stub):
    summary = run_node("wpapi_flow.cjs", f"{stub}/")
    assert summary["endpoint"] == f"{stub}/wp-json/"
    assert (summary["posts"], summary["pages"]) == (5, 3)
    assert summary["created"]["status"] == "hold"
    made = [(r["method"], r["path"], r["query"]) for r in requests_made(stub)]
    wp = [entry for entry in made if entry[1] == "/" or entry[1].startswith("/wp-json")]
    # Discovery: HEAD on the site for the Link header, then the index.
    assert wp[0][:2] == ("HEAD", "/") and wp[1][:2] == ("GET", "/wp-json/")
    # Paging follows our Link rel="next" URLs as they are.
    assert ("GET", "/wp-json/wp/v2/posts", {"per_page": "2", "page": "3"}) in wp
    assert ("GET", "/wp-json/wp/v2/posts", {"_embed": "true", "slug": "big-news"}) in wp
    assert ("GET", "/wp-json/wp/v2/comments", {"post": "5"}) in wp
    posted = [r for r in requests_made(stub) if r["method"] == "POST"]
    assert posted[0]["content_type"] == "application/json"
    assert set(posted[0]["body"]) == {"post", "author_name", "author_email", "content"}


def test_ghost_content_api_client_browses_reads_and_filters(stub):
    summary = run_node("ghost_flow.cjs", stub, GHOST_KEY)
    assert summary == {
        "filter": "tag:news",
        "posts": 3,
        "authors": 2,
        "tags": 3,
        "pages": 1,
        "settings": "Marginalia demo",
    }
    ghost = [r for r in requests_made(stub) if r["path"].startswith("/ghost/")]
    assert all(r["accept_version"] == "v5.0" for r in ghost)
    assert all(r["query"]["key"] == GHOST_KEY and r["path"].endswith("/") for r in ghost)
    assert all(r["user_agent"].startswith("GhostContentSDK/") for r in ghost)
    # A read by slug repeats the slug as a query parameter; arrays are comma-joined.
    read = next(r for r in ghost if "/slug/big-news/" in r["path"])
    assert read["query"] == {"key": GHOST_KEY, "slug": "big-news", "include": "tags,authors"}
