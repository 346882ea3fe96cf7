"""Ids past what the databases store name nothing: 404, not a 500 from the driver
(PostgreSQL refuses 2147483648 in an INTEGER comparison, SQLite a number past 64 bits)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import bearer

TOO_LARGE = ["2147483648", "9223372036854775808", "53697468221135"]


def _id_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        method = next(m for m in ("GET", "DELETE", "PATCH", "POST") if m in rule.methods)
        routes.append((method, rule.rule))
    return routes


@pytest.mark.parametrize("number", TOO_LARGE)
def test_every_route_with_an_id_answers_404_for_ids_past_the_integer_range(
    app, client, make_token, number
):
    admin = bearer(make_token("admin"))
    routes = _id_routes(app)
    assert any(path.startswith("/v1/tokens/") for _, path in routes)
    for method, path in routes:
        url = re.sub(r"<int:\w+>", number, path)
        response = client.open(url, method=method, headers=admin, json={})
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.mimetype == "application/problem+json", (method, url)


def test_the_largest_stored_id_still_reaches_the_view(client, make_token):
    response = client.delete("/v1/tokens/2147483647", headers=bearer(make_token("admin")))
    assert response.status_code == 404
    assert response.get_json()["detail"] == "No such token."  # the view's answer, not routing's
