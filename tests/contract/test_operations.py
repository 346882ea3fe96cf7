"""Every operation of the contract is named, described, and answers the conditional
requests it declares.

A new operation without an `operationId` (`@blp.doc(operationId="listThings")`) or a
description (the docstring's paragraph after its first line) fails here, as does one
that declares `If-None-Match` or `If-Match` without honouring it.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from api.comments import notify
from api.demo.loader import AUTHOR, POST_SLUG, load_demo
from api.infra.database import db
from tests.conftest import bearer
from tests.contract.conftest import CONTRACT
from tests.media.conftest import image_bytes
from tests.media.test_media_api import upload

DOCUMENT = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
OPERATIONS = [
    (method, path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method != "parameters"
]
# Generated clients name their functions after these: renaming one breaks every client
# built before, so they stay (new operations add to this list).
STABLE = {
    ("get", "/v1/posts"): "listPosts",
    ("post", "/v1/posts"): "createPost",
    ("get", "/v1/posts/{slug}"): "getPost",
    ("patch", "/v1/posts/{slug}"): "updatePost",
    ("delete", "/v1/posts/{slug}"): "deletePost",
    ("get", "/v1/authors"): "listAuthors",
    ("get", "/v1/authors/{slug}"): "getAuthor",
    ("get", "/v1/tags"): "listTags",
    ("get", "/v1/tags/{slug}"): "getTag",
    ("get", "/v1/posts/{slug}/comments"): "listComments",
    ("post", "/v1/posts/{slug}/comments"): "submitComment",
    ("patch", "/v1/moderation/comments/{comment_id}"): "decideComment",
    ("post", "/v1/moderation/comments/batch"): "decideComments",
    ("get", "/v1/events"): "listEvents",
    ("post", "/v1/webhooks"): "createWebhook",
}


def _has_parameter(operation: dict, name: str) -> bool:
    return {"$ref": f"#/components/parameters/{name}"} in operation.get("parameters", [])


def test_every_operation_has_a_unique_camel_case_operation_id():
    ids = [operation.get("operationId") for _, _, operation in OPERATIONS]
    unnamed = [f"{m.upper()} {p}" for m, p, op in OPERATIONS if not op.get("operationId")]
    assert unnamed == [], "name them with @blp.doc(operationId=...)"
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)+", i)] == []
    assert len(ids) == len(set(ids))


def test_operation_ids_are_stable():
    found = {(method, path): op["operationId"] for method, path, op in OPERATIONS}
    assert {key: found.get(key) for key in STABLE} == STABLE


def test_every_operation_has_a_summary_and_a_description_that_says_more():
    for method, path, operation in OPERATIONS:
        summary, description = operation.get("summary", ""), operation.get("description", "")
        assert summary.strip(), f"{method.upper()} {path}: no summary"
        assert description.strip() and description.strip() != summary.strip(), (
            f"{method.upper()} {path}: add a description (the docstring after its first line)"
        )


def test_every_operation_declares_its_security():
    for method, path, operation in OPERATIONS:
        assert "security" in operation, f"{method.upper()} {path}"


def test_every_operation_declares_the_problems_the_http_server_answers_before_it():
    """A long URL (414), huge headers (431) or a request that trickles in (408) are
    answered by api/serving as problem+json whatever the path, a body over the limit
    (413) wherever there is a body: generated clients should expect them."""
    for method, path, operation in OPERATIONS:
        declared = set(operation["responses"])
        assert {"400", "408", "414", "431"} <= declared, (method, path)
        if "requestBody" in operation:
            assert "413" in declared, (method, path)
        for status in ("408", "414", "431"):
            response = operation["responses"][status]
            name = response["$ref"].rsplit("/", 1)[-1]
            content = DOCUMENT["components"]["responses"][name]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)


def test_the_contract_has_a_server_and_is_also_served_as_json(client):
    assert DOCUMENT["servers"][0]["url"] == "/"
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == DOCUMENT


# --- conditional requests, as declared --------------------------------------------------


@pytest.fixture
def resources(app, client, make_token, monkeypatch) -> dict:
    """The demo content, a webhook with a delivery, a comment with its edit token, and
    an author without posts: something behind every path of the contract."""
    settings = dataclasses.replace(app.config["MARGINALIA"], allow_private_targets=True)
    monkeypatch.setitem(app.config, "MARGINALIA", settings)  # the webhook's loopback URL
    with app.app_context():
        load_demo()
        db.session.remove()
    admin = bearer(make_token("admin"))
    hook = client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["*"]}, headers=admin
    ).get_json()
    delivery = client.post(f"/v1/webhooks/{hook['id']}/test", headers=admin).get_json()
    submitted = client.post(
        f"/v1/posts/{POST_SLUG}/comments",
        json={"body": "Mine.", "author_name": "Ola", "author_email": "ola@example.org"},
    ).get_json()
    loner = client.post("/v1/authors", json={"name": "No Posts"}, headers=admin).get_json()
    page = client.post(
        "/v1/pages",
        json={"title": "About", "status": "published", "author": AUTHOR["slug"]},
        headers=admin,
    ).get_json()
    media = upload(client, admin, image_bytes("PNG", 40, 30), name="dot.png").get_json()
    tag = client.get("/v1/tags?limit=1").get_json()["items"][0]["slug"]
    wp = {
        kind: client.get(f"/wp-json/wp/v2/{kind}?per_page=1").get_json()[0]["id"]
        for kind in ("posts", "pages", "users", "tags", "categories", "comments", "media")
    }
    key = client.post("/v1/content-keys", json={"name": "contract"}, headers=admin).get_json()
    ghost = {
        kind: client.get(f"/ghost/api/content/{kind}/?key={key['key']}&limit=1").get_json()[kind][0]
        for kind in ("posts", "pages", "authors", "tags")
    }
    # A pending draft over the demo post, and a preview link to it.
    draft = client.put(f"/v1/posts/{POST_SLUG}/draft", json={"title": "Pending"}, headers=admin)
    assert draft.status_code == 200, draft.get_json()
    link = client.post(f"/v1/posts/{POST_SLUG}/preview-links", json={}, headers=admin).get_json()
    client.put(f"/v1/pages/{page['slug']}/draft", json={"title": "Pending"}, headers=admin)
    page_link = client.post(
        f"/v1/pages/{page['slug']}/preview-links", json={}, headers=admin
    ).get_json()
    block = client.post(
        "/v1/moderation/blocks", json={"kind": "word", "value": "casino"}, headers=admin
    ).get_json()
    values = {
        "/v1/posts/{slug}": {"slug": POST_SLUG},
        "/v1/pages/{slug}": {"slug": page["slug"]},
        "/v1/media/{media_id}": {"media_id": media["id"]},
        "/v1/posts/{slug}/comments": {"slug": POST_SLUG},
        "/v1/posts/{slug}/linkbacks": {"slug": POST_SLUG},
        "/v1/authors/{slug}": {"slug": AUTHOR["slug"]},
        "/v1/tags/{slug}": {"slug": tag},
        "/v1/comments/{comment_id}": {"comment_id": submitted["id"]},
        "/v1/webhooks/{endpoint_id}": {"endpoint_id": hook["id"]},
        "/v1/webhooks/{endpoint_id}/deliveries": {"endpoint_id": hook["id"]},
        "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}": {
            "endpoint_id": hook["id"],
            "delivery_id": delivery["id"],
        },
        "/v1/events/{event_id}/deliveries": {"event_id": delivery["event_id"]},
        "/v1/moderation/comments/{comment_id}": {"comment_id": submitted["id"]},
        **{f"/wp-json/wp/v2/{kind}/{{id}}": {"id": number} for kind, number in wp.items()},
        **{f"/ghost/api/content/{kind}/{{id}}": {"id": item["id"]} for kind, item in ghost.items()},
        **{
            f"/ghost/api/content/{kind}/slug/{{slug}}": {"slug": item["slug"]}
            for kind, item in ghost.items()
        },
        "/v1/content-keys/{key_id}": {"key_id": key["id"]},
        "/v1/posts/{slug}/revisions": {"slug": POST_SLUG},
        "/v1/posts/{slug}/revisions/{number}": {"slug": POST_SLUG, "number": 1},
        "/v1/posts/{slug}/revisions/{number}/diff": {"slug": POST_SLUG, "number": 1},
        "/v1/posts/{slug}/revisions/{number}/restore": {"slug": POST_SLUG, "number": 1},
        "/v1/posts/{slug}/draft": {"slug": POST_SLUG},
        "/v1/posts/{slug}/draft/publish": {"slug": POST_SLUG},
        "/v1/posts/{slug}/preview-links": {"slug": POST_SLUG},
        "/v1/posts/{slug}/preview-links/{link_id}": {"slug": POST_SLUG, "link_id": link["id"]},
        "/v1/preview/{token}": {"token": link["url"].rsplit("/", 1)[1]},
        "/v1/pages/{slug}/revisions": {"slug": page["slug"]},
        "/v1/pages/{slug}/revisions/{number}": {"slug": page["slug"], "number": 1},
        "/v1/pages/{slug}/revisions/{number}/diff": {"slug": page["slug"], "number": 1},
        "/v1/pages/{slug}/revisions/{number}/restore": {"slug": page["slug"], "number": 1},
        "/v1/pages/{slug}/draft": {"slug": page["slug"]},
        "/v1/pages/{slug}/draft/publish": {"slug": page["slug"]},
        "/v1/pages/{slug}/preview-links": {"slug": page["slug"]},
        "/v1/pages/{slug}/preview-links/{link_id}": {
            "slug": page["slug"],
            "link_id": page_link["id"],
        },
        "/v1/moderation/blocks/{block_id}": {"block_id": block["id"]},
        "/v1/posts/{slug}/subscriptions": {"slug": POST_SLUG},
    }
    secret = app.config["SECRET_KEY"]
    return {
        "tokens": {  # the signed links of notification mails
            f"/v1/notifications/{purpose}": notify._signer(secret, purpose).dumps("a@example.org")
            for purpose in ("confirm", "unsubscribe")
        },
        "admin": admin,
        "edit": bearer(submitted["edit_token"]),
        "values": values,
        "loner": loner["slug"],
        "content_key": key["key"],
    }


# Reads whose required query names what to read.
QUERIES = {"/v1/privacy/commenters": "?email=ola@example.org"}


def _url(path: str, resources: dict, method: str) -> str:
    params = re.findall(r"{(\w+)}", path)
    if not params:
        return _with_key(path, resources) + (QUERIES.get(path, "") if method == "get" else "")
    values = dict(resources["values"].get(path, {}))
    if path == "/v1/authors/{slug}" and method == "delete":
        values["slug"] = resources["loner"]  # an author with posts cannot be deleted (409)
    assert set(params) <= set(values), f"give an example for {path} in `resources`"
    return _with_key(path.format(**values), resources)


def _with_key(url: str, resources: dict) -> str:
    """Ghost's Content API reads need a Content API key."""
    return f"{url}?key={resources['content_key']}" if url.startswith("/ghost/") else url


def _caller(path: str, resources: dict) -> dict:
    """Who may make the request: a comment's own reads and changes go with its edit token."""
    return resources["edit"] if path.startswith("/v1/comments/") else resources["admin"]


def test_every_read_that_declares_if_none_match_answers_304(client, resources):
    reads = [
        (p, op)
        for m, p, op in OPERATIONS
        if m == "get" and _has_parameter(op, "IfNoneMatch") and p not in FRESH_EVERY_TIME
    ]
    assert len(reads) >= 20
    for path, operation in reads:
        url, headers = _url(path, resources, "get"), _caller(path, resources)
        if path in resources["tokens"]:
            url += f"?token={resources['tokens'][path]}"
        fresh = client.get(url, headers=headers)
        assert fresh.status_code == 200 and fresh.headers.get("ETag"), (path, fresh.get_json())
        assert (
            "304" in operation["responses"] and "ETag" in operation["responses"]["200"]["headers"]
        )
        again = client.get(url, headers={**headers, "If-None-Match": fresh.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b"", path


# A new signed token on every read: never the same twice, so never a 304.
FRESH_EVERY_TIME = {"/v1/posts/{slug}/comment-token"}

CHANGES = {
    "/v1/posts/{slug}": {"title": "Retitled"},
    "/v1/pages/{slug}": {"title": "Retitled page"},
    "/v1/authors/{slug}": {"bio": "Rewritten."},
    "/v1/tags/{slug}": {"description": "Redescribed."},
    "/v1/comments/{comment_id}": {"body": "Mine, edited."},
    "/v1/settings/discussion": {"max_links": 3},
    "/v1/webhooks/{endpoint_id}": {"description": "Renamed"},
    "/v1/moderation/comments/{comment_id}": {"status": "approved"},
    "/v1/moderation/blocks/{block_id}": {"note": "Renamed"},
}


def test_every_change_that_declares_if_match_refuses_a_stale_etag_and_takes_a_fresh_one(
    client, resources
):
    changes = [(m, p) for m, p, op in OPERATIONS if _has_parameter(op, "IfMatch")]
    assert {p for m, p in changes if m == "patch"} == set(CHANGES), "add a change to CHANGES"
    for method, path in sorted(changes, key=lambda change: change[0] == "delete"):
        url, headers = _url(path, resources, method), _caller(path, resources)
        body = CHANGES[path] if method == "patch" else None
        stale = client.open(url, method=method, json=body, headers={**headers, "If-Match": '"0"'})
        assert stale.status_code == 412, (method, path, stale.get_json())
        assert stale.get_json()["type"] == "/problems/precondition-failed"
        if method == "patch":
            etag = client.get(url, headers=headers).headers["ETag"]
            fresh = client.patch(url, json=body, headers={**headers, "If-Match": etag})
            assert fresh.status_code == 200, (path, fresh.get_json())


def test_every_operation_that_declares_429_is_rate_limited_as_declared(client, resources):
    """Each answer counts against a limit and says so (`RateLimit`, `RateLimit-Policy`);
    the refusal once it is used up says when to come back (`Retry-After`)."""
    limited = [(m, p, op) for m, p, op in OPERATIONS if "429" in op["responses"]]
    assert {(m, p) for m, p, _ in limited} == set(TRIES), "add the operation to TRIES"
    for method, path, operation in limited:
        declared = operation["responses"]["429"]["headers"]
        assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(declared)
        url, send = _url(path, resources, method), TRIES[(method, path)]
        for _ in range(100):
            answer = send(client, url)
            if answer.status_code == 429:
                break
            assert "RateLimit-Policy" in answer.headers and "RateLimit" in answer.headers
        assert answer.status_code == 429, path
        assert int(answer.headers["Retry-After"]) >= 1
        # WordPress's API answers in WordPress's error shape.
        shape = "application/json" if path.startswith("/wp-json/") else "application/problem+json"
        assert answer.mimetype == shape


TRIES = {
    ("post", "/v1/posts/{slug}/comments"): lambda client, url: client.post(
        url, json={"body": "Again and again."}
    ),
    ("post", "/v1/webmention"): lambda client, url: client.post(url, data={}),
    ("post", "/wp-json/wp/v2/comments"): lambda client, url: client.post(
        url, json={"post": 1, "content": "Again.", "author_name": "A", "author_email": "a@b.org"}
    ),
    ("post", "/v1/posts/{slug}/subscriptions"): lambda client, url: client.post(
        url, json={"email": "not an address"}
    ),
    ("post", "/xmlrpc"): lambda client, url: client.post(
        url, data="<methodCall/>", content_type="text/xml"
    ),
}
