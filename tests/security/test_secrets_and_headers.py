"""Nothing secret reaches the logs; every response carries the safety headers."""

import logging

from tests.conftest import bearer


def test_tokens_and_emails_never_reach_the_logs(client, make_token, caplog):
    token = make_token("admin")
    with caplog.at_level(logging.DEBUG):
        client.post(
            "/v1/authors",
            json={"name": "Private Person", "email": "private@example.org"},
            headers=bearer(token),
        )
        client.get("/v1/posts", headers=bearer("mgl_wrong-token-value"))
        client.get("/v1/tokens", headers=bearer(token))
        client.post("/v1/tokens", json={"name": "new", "role": "editor"}, headers=bearer(token))
    logged = "\n".join(
        record.getMessage() + str(getattr(record, "fields", "")) for record in caplog.records
    )
    assert "request" in logged  # the access log did run
    for secret in (token, "mgl_wrong-token-value", "private@example.org"):
        assert secret not in logged


def test_safety_headers_on_success_error_and_304(client, publish):
    post = publish("Headers")
    ok = client.get(f"/v1/posts/{post['slug']}")
    not_modified = client.get(
        f"/v1/posts/{post['slug']}", headers={"If-None-Match": ok.headers["ETag"]}
    )
    missing = client.get("/v1/posts/none")
    for response in (ok, not_modified, missing):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Server" not in response.headers or "/" not in response.headers["Server"]


def test_crlf_in_echoed_values_cannot_inject_headers(client):
    response = client.get("/healthz", headers={"X-Request-ID": "ok"})
    assert response.headers["X-Request-ID"] == "ok"
    injected = client.get("/v1/posts?cursor=x%0d%0aSet-Cookie:%20evil=1")
    assert "Set-Cookie" not in injected.headers
    assert injected.status_code == 400
