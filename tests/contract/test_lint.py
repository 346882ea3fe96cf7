"""Two OpenAPI linters nobody here wrote read the committed contract: Redocly's
recommended rules and Spectral's `oas` ruleset, as they come. An error fails the test.
Warnings are accepted; today's are `info` without `license` or `contact` (the project
names neither) and the `oidcToken` scheme, which submitComment's description names
rather than its `security` (see api/comments/routes.py)."""

from __future__ import annotations

import json

from tests.contract.conftest import CONTRACT, node_tool

SPECTRAL_ERROR = 0  # Spectral's severities: 0 error, 1 warning, 2 info, 3 hint


def test_redocly_recommended_rules_find_no_error():
    done = node_tool("redocly", "lint", str(CONTRACT), "--config", "redocly.yaml", "--format=json")
    report = json.loads(done.stdout)
    errors = [
        f"{problem['ruleId']}: {problem['message']} at {problem['location'][0]['pointer']}"
        for problem in report["problems"]
        if problem["severity"] == "error"
    ]
    assert report["totals"]["errors"] == 0, errors
    assert done.returncode == 0, done.stderr


def test_spectral_oas_ruleset_finds_no_error():
    done = node_tool("spectral", "lint", "--ruleset", ".spectral.yaml", "-f", "json", str(CONTRACT))
    assert done.stdout.strip(), done.stderr  # it printed a report, not only a crash
    report = json.loads(done.stdout)
    errors = [
        f"{item['code']}: {item['message']} at {'.'.join(map(str, item['path']))}"
        for item in report
        if item["severity"] == SPECTRAL_ERROR
    ]
    assert errors == []
