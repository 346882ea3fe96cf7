"""The README's tour runs as printed: every command against a real server, no HTTP error."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import wait_until_up

ROOT = Path(__file__).resolve().parents[2]
# Each curl of the tour fails the script on an HTTP error (4xx/5xx), body kept for the report.
STRICT_CURL = 'curl() { command curl --fail-with-body "$@"; }\n'


def tour() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A tour with curl") :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_tour_runs_as_printed(server_env, start, tmp_path):
    port = server_env["MARGINALIA_PORT"]
    base = f"http://127.0.0.1:{port}"
    server = start(server_env, "serve")
    wait_until_up(base, server)
    script = tour().replace("localhost:8000", f"127.0.0.1:{port}")
    assert "localhost" not in script, "the tour names a host the test cannot redirect"
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + STRICT_CURL + script],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # The PATCH published the post the tour created: it is public now.
    assert '"status": "published"' in result.stdout or '"status":"published"' in result.stdout
