"""The pages over HTTP: served by the app, with their own strict CSP, out of the contract."""

from __future__ import annotations

import re

import pytest
import yaml

from api.pages.routes import CONSOLE_CSP, DOCS_CSP


def directives(csp: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in csp.split(";"))


@pytest.mark.parametrize(("path", "csp"), [("/console/", CONSOLE_CSP), ("/docs/", DOCS_CSP)])
def test_pages_are_html_with_their_own_strict_csp(client, path, csp):
    with client.get(path) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        assert response.headers.getlist("Content-Security-Policy") == [csp]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    policy = directives(csp)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no other origin
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'none'"  # the token form can never navigate
    assert "http" not in " ".join(policy.values())  # no third-party origin anywhere


def test_only_the_reference_allows_inline_styles(client):
    assert directives(CONSOLE_CSP)["style-src"] == "'self'"
    assert directives(DOCS_CSP)["style-src"] == "'self' 'unsafe-inline'"  # Swagger UI


@pytest.mark.parametrize("path", ["/console/", "/docs/"])
def test_pages_have_no_inline_script_and_load_nothing_from_elsewhere(client, path):
    with client.get(path) as response:
        html = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert tag.strip() == ""  # every script is a file of ours
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handlers
    assert "style=" not in html


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/pages/console/main.js", "text/javascript"),
        ("/pages/console.css", "text/css"),
        ("/pages/vendor/swagger-ui-bundle.js", "text/javascript"),
        ("/pages/vendor/swagger-ui.css", "text/css"),
    ],
)
def test_assets_are_served_with_their_types_and_the_strict_default(client, path, mimetype):
    with client.get(path) as response:
        assert response.status_code == 200
        assert response.mimetype in (mimetype, "application/javascript")
        assert response.headers.getlist("Content-Security-Policy") == [
            "default-src 'none'; frame-ancestors 'none'"
        ]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-cache"


def test_unknown_asset_and_escaping_paths_are_404(client):
    assert client.get("/pages/nothing.js").status_code == 404
    assert client.get("/pages/../routes.py").status_code == 404
    assert client.get("/pages/%2e%2e/routes.py").status_code == 404


def test_the_console_redirects_to_its_slash_form(client):
    response = client.get("/console")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/console/")


def test_pages_are_not_api_operations(app):
    with open("openapi.yaml", encoding="utf-8") as handle:
        paths = yaml.safe_load(handle)["paths"]
    assert not [path for path in paths if path.startswith(("/console", "/docs", "/pages"))]
