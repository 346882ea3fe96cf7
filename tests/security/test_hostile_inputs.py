"""Inputs that used to end in a 500 answer 4xx or 503 problem+json: ids beyond any id
column, and the public writes while Redis (the rate limiter's store) is unreachable."""

from __future__ import annotations

import io
import json
import os

import httpx
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from api.demo.loader import POST_SLUG
from api.linkbacks.xmlrpc import call_body
from tests.e2e.conftest import Running, free_port, wait_until_up

FORM = "application/x-www-form-urlencoded"
HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999999"]


@pytest.mark.parametrize("number", HUGE_IDS)
def test_ids_beyond_any_column_are_404_not_500(client, admin, number):
    for method, path in [
        ("DELETE", f"/v1/tokens/{number}"),
        ("GET", f"/v1/comments/{number}"),
        ("GET", f"/v1/moderation/comments/{number}"),
        ("DELETE", f"/v1/webhooks/{number}"),
    ]:
        response = client.open(path, method=method, headers=admin)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"


@pytest.fixture(scope="module")
def redis_down(tmp_path_factory):
    """`marginalia serve` whose Redis is configured but unreachable (nothing listens)."""
    tmp_path = tmp_path_factory.mktemp("redis-down")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARGINALIA_")}
    env.update(
        {
            "MARGINALIA_INSTANCE_PATH": str(tmp_path / "instance"),
            "MARGINALIA_PORT": str(free_port()),
            "MARGINALIA_LOG_LEVEL": "WARNING",
            "MARGINALIA_SECRET_KEY": "redis-down-secret",
            "MARGINALIA_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "MARGINALIA_SITE_URL": "https://blog.example/posts/{slug}/",
        }
    )
    server = Running(env, "serve")
    base = f"http://127.0.0.1:{env['MARGINALIA_PORT']}"
    wait_until_up(base, server)
    yield base
    server.stop()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["status"] == 503


def test_public_writes_with_redis_unreachable_are_503_with_retry_after(redis_down):
    assert httpx.get(f"{redis_down}/readyz", timeout=10).status_code == 503  # as it says
    _assert_unavailable(
        httpx.post(
            f"{redis_down}/v1/posts/{POST_SLUG}/comments",
            json={"author_name": "R", "author_email": "r@example.org", "body": "Hello there."},
            timeout=10,
        )
    )
    target = f"https://blog.example/posts/{POST_SLUG}/"
    _assert_unavailable(
        httpx.post(
            f"{redis_down}/v1/webmention",
            data={"source": "https://elsewhere.example/a", "target": target},
            timeout=10,
        )
    )
    _assert_unavailable(
        httpx.post(
            f"{redis_down}/xmlrpc",
            content=call_body("pingback.ping", "https://elsewhere.example/a", target),
            headers={"Content-Type": "text/xml"},
            timeout=10,
        )
    )
    # Reads need no Redis.
    assert httpx.get(f"{redis_down}/v1/posts", timeout=10).status_code == 200


@pytest.mark.parametrize("role", ["moderator", "event-reader"])
def test_moderators_and_event_readers_read_content_as_the_public_does(
    client, make_token, publish, author, role
):
    post = publish("Staff reads")
    token = {"Authorization": f"Bearer {make_token(role)}"}
    for path in (
        "/v1/posts",
        f"/v1/posts/{post['slug']}",
        "/v1/authors",
        f"/v1/authors/{author['slug']}",
    ):
        seen = client.get(path, headers=token)
        assert seen.status_code == 200, path
        assert seen.get_data(as_text=True) == client.get(path).get_data(as_text=True), path
        assert "ada@example.org" not in seen.get_data(as_text=True)
        assert '"body":' not in seen.get_data(as_text=True)


def test_writers_still_see_emails_and_markdown(client, admin, publish, author):
    post = publish("Staff reads")
    assert (
        client.get(f"/v1/posts/{post['slug']}", headers=admin).get_json()["body"] == "Some *text*."
    )
    assert client.get(f"/v1/authors/{author['slug']}", headers=admin).get_json()["email"]


def test_authors_read_only_their_own_posts_linkback_logs(client, admin, make_token, author):
    other = client.post("/v1/authors", json={"name": "Grace Hopper"}, headers=admin).get_json()
    theirs = client.post(
        "/v1/posts",
        json={"title": "Theirs", "author": other["slug"], "status": "published"},
        headers=admin,
    ).get_json()
    token = {"Authorization": f"Bearer {make_token('author', author=author['slug'])}"}
    mine = client.post("/v1/posts", json={"title": "Mine"}, headers=token).get_json()
    assert client.get(f"/v1/posts/{mine['slug']}/linkbacks", headers=token).status_code == 200
    refused = client.get(f"/v1/posts/{theirs['slug']}/linkbacks", headers=token)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert client.get(f"/v1/posts/{theirs['slug']}/linkbacks", headers=admin).status_code == 200


def test_authors_cannot_create_public_tags_by_tagging_a_draft(client, admin, make_token, author):
    client.post("/v1/tags", json={"name": "Known"}, headers=admin)
    token = {"Authorization": f"Bearer {make_token('author', author=author['slug'])}"}
    refused = client.post(
        "/v1/posts", json={"title": "Draft", "tags": ["Known", "Casino bonus"]}, headers=token
    )
    assert refused.status_code == 422
    assert "tags" in refused.get_json()["errors"]
    draft = client.post("/v1/posts", json={"title": "Draft", "tags": ["Known"]}, headers=token)
    assert draft.status_code == 201
    patched = client.patch(
        f"/v1/posts/{draft.get_json()['slug']}", json={"tags": ["Casino bonus"]}, headers=token
    )
    assert patched.status_code == 422
    assert [tag["slug"] for tag in client.get("/v1/tags").get_json()["items"]] == ["known"]
    # Editors and admins still create tags by tagging a post.
    fresh = {"title": "Ed", "tags": ["Fresh"], "author": author["slug"]}
    tagged = client.post("/v1/posts", json=fresh, headers=admin)
    assert tagged.status_code == 201


def _chunked(app, path: str, body: bytes, content_type: str):
    """POST `body` as a server hands a chunked request to WSGI: no Content-Length, the
    input terminated by the server (wsgi.input_terminated)."""
    environ = EnvironBuilder(path=path, method="POST", content_type=content_type).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update(
        {
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "HTTP_TRANSFER_ENCODING": "chunked",
        }
    )
    return Response.from_app(app.wsgi_app, environ)


def test_chunked_bodies_over_the_size_limit_are_413_not_cut(app, publish):
    post = publish("Chunked")
    limit = app.config["MARGINALIA"].max_body_bytes
    comment = {"author_name": "C", "author_email": "c@example.org", "body": "x" * limit}
    cases = [
        (f"/v1/posts/{post['slug']}/comments", json.dumps(comment).encode(), "application/json"),
        ("/v1/webmention", b"source=https%3A%2F%2Fa.example%2F&x=" + b"y" * limit, FORM),
        ("/xmlrpc", b"<?xml version='1.0'?><methodCall>" + b" " * limit, "text/xml"),
    ]
    for path, body, content_type in cases:
        answer = _chunked(app, path, body, content_type)
        assert answer.status_code == 413, (path, answer.get_data()[:200])
        assert answer.mimetype == "application/problem+json"

    small = {"author_name": "C", "author_email": "c@example.org", "body": "A chunked remark."}
    taken = _chunked(
        app, f"/v1/posts/{post['slug']}/comments", json.dumps(small).encode(), "application/json"
    )
    assert taken.status_code == 202


@pytest.mark.parametrize(
    "slug", ["bob-publish\u0435d", "p\u0430ypal", "under_score", "_lead", "trail_"]
)
def test_slugs_refuse_mixed_script_words_and_underscores(client, admin, author, slug):
    for path, payload in [
        ("/v1/posts", {"title": "Lookalike", "author": author["slug"], "slug": slug}),
        ("/v1/tags", {"name": "Lookalike", "slug": slug}),
        ("/v1/authors", {"name": "Lookalike", "slug": slug}),
    ]:
        refused = client.post(path, json=payload, headers=admin)
        assert refused.status_code == 422, (path, slug)
        assert "slug" in refused.get_json()["errors"]


@pytest.mark.parametrize(
    "slug", ["caf\u00e9-\u043f\u0440\u0438\u043c\u0435\u0440", "日本語のテキスト", "x2-y3"]
)
def test_slugs_of_one_script_per_word_are_taken(client, admin, author, slug):
    payload = {"title": "Fine", "author": author["slug"], "slug": slug}
    assert client.post("/v1/posts", json=payload, headers=admin).status_code == 201
