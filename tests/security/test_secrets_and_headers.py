"""Nothing secret reaches the logs; every response carries the safety headers."""

import logging

from tests.conftest import bearer


def test_tokens_and_emails_never_reach_the_logs(client, make_token, publish, caplog):
    token = make_token("admin")
    post = publish("Discussed")
    with caplog.at_level(logging.DEBUG):
        hook = client.post(
            "/v1/webhooks",
            json={
                "url": "https://203.0.114.1/hook",  # never called here
                "events": ["post.*"],
            },
            headers=bearer(token),
        )
        comment = client.post(
            f"/v1/posts/{post['slug']}/comments",
            json={"body": "Hello", "author_name": "Quiet", "author_email": "quiet@example.org"},
        )
        edit_token = comment.get_json()["edit_token"]
        client.get(f"/v1/comments/{comment.get_json()['id']}", headers=bearer(edit_token))
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
    assert hook.status_code == 201 and comment.status_code == 202
    secrets = (
        token,
        "mgl_wrong-token-value",
        "private@example.org",
        "quiet@example.org",
        edit_token,
        hook.get_json()["secret"],
    )
    for secret in secrets:
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
