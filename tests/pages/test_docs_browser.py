"""/docs/ in Chromium: every operation of openapi.yaml rendered, with nothing but 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import yaml

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
CONTRACT = Path(__file__).resolve().parents[2] / "openapi.yaml"


# The WordPress and Ghost APIs follow their own references (docs/compat.md), not this page.
FOREIGN_TAGS = {"WordPress REST API", "Ghost Content API"}


def operations() -> list[tuple[str, str]]:
    paths = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["paths"]
    return [
        (method, path)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in METHODS and not FOREIGN_TAGS & set(operation.get("tags", ()))
    ]


def test_the_reference_renders_every_operation_offline(page, served):
    expected = operations()
    page.goto(f"{served.base_url}/docs/")
    page.wait_for_function(
        "n => document.querySelectorAll('.opblock').length >= n", arg=len(expected)
    )
    rendered = page.eval_on_selector_all(
        ".opblock",
        """blocks => blocks.map(b => [
            b.querySelector('.opblock-summary-method').textContent.toLowerCase(),
            b.querySelector('.opblock-summary-path').dataset.path])""",
    )
    assert sorted(map(tuple, rendered)) == sorted(expected)
    assert page.locator(".info .title").inner_text().startswith("Marginalia")
    assert page.blocked == []  # it asked for nothing beyond 127.0.0.1
    assert page.errors == []  # no script error, no CSP violation
