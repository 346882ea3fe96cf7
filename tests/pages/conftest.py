"""Pages in a real browser: `marginalia serve` on 127.0.0.1 and Debian's Chromium driven
by Playwright (no downloaded browser; .ci/run installs /usr/bin/chromium)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# The e2e helpers: a `marginalia` process with its own database and instance folder.
from tests.e2e.conftest import (  # noqa: F401  (fixtures re-exported for this folder)
    run,
    server_env,
    start,
    wait_until_up,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Served:
    base_url: str
    env: dict
    process: object  # tests.e2e.conftest.Running: .stop() returns the server's output


@pytest.fixture
def served(server_env, start) -> Served:  # noqa: F811
    """The app served by `marginalia serve` (demo loaded into its empty database)."""
    # The code under test, even when the `marginalia` script belongs to another checkout.
    paths = [str(PROJECT_ROOT), server_env.get("PYTHONPATH", "")]
    server_env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    server_env["MARGINALIA_LOG_LEVEL"] = "INFO"  # access logs on: the token must not be there
    process = start(server_env, "serve", "--threads", "4")
    base_url = f"http://127.0.0.1:{server_env['MARGINALIA_PORT']}"
    wait_until_up(base_url, process)
    return Served(base_url, server_env, process)


@pytest.fixture(scope="module")
def browser():
    # Module, not session: Playwright's sync API keeps its event loop running in this
    # thread while it is open, so any later test in the same worker that runs an
    # event loop of its own (tests/unit/test_serving_*) would find one already running.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    """A fresh page that can reach nothing but the served app: every other host is
    aborted (and recorded), as is any console error or CSP violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.blocked = []
    page.errors = []
    allowed = urlsplit(served.base_url).netloc

    def guard(route):
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == allowed:
            route.continue_()
        else:
            page.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
