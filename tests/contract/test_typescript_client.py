"""A TypeScript client generated from openapi.yaml (openapi-typescript's types,
openapi-fetch), compiled by `tsc` in strict mode (tests/contract/clients/tsconfig.json)
and run on Node against `marginalia serve`: the flow in clients/flow.ts."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.contract.conftest import CLIENTS, CONTRACT, node_tool


@pytest.fixture(scope="session")
def compiled():
    """Types generated from the committed contract, and flow.ts compiled against them."""
    generated = node_tool("openapi-typescript", str(CONTRACT), "--output", "generated/schema.d.ts")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    checked = node_tool("tsc", "--project", "tsconfig.json")
    assert checked.returncode == 0, f"tsc --strict refused the flow:\n{checked.stdout}"
    return CLIENTS / "build" / "flow.js"


def test_the_flow_type_checks_in_strict_mode(compiled):
    config = json.loads((CLIENTS / "tsconfig.json").read_text())["compilerOptions"]
    assert config["strict"] is True and config["noUncheckedIndexedAccess"] is True
    assert compiled.exists()


def test_a_frontend_flow_with_the_generated_typescript_client(compiled, live_server):
    done = subprocess.run(
        ["node", str(compiled), live_server.base_url, live_server.admin, live_server.moderator],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    flow = json.loads(done.stdout.strip().splitlines()[-1])
    assert flow["total"] >= 2 and len(flow["slugs"]) == len(set(flow["slugs"])) == flow["total"]
    assert flow["back"] == [flow["slugs"][-2]]  # prev_cursor of the last page
    assert flow["titleIsString"] and flow["revalidated"] == 304
    assert flow["createdStatus"] == "draft" and flow["published"] == "published"
    assert flow["stale"] == [412, "/problems/precondition-failed"]
    assert flow["submitted"] == "pending" and flow["decided"] == "approved"
    assert flow["thread"] == [[True, "Lin"]]
    assert flow["secret"] is True
    assert flow["events"] == ["comment.approved", "post.created", "post.published"]
