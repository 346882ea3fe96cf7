"""Registering, reading, changing, rotating and deleting webhook endpoints over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.infra.database import db
from api.webhooks import crypto
from api.webhooks.models import WebhookEndpoint

PUBLIC_URL = "https://93.184.215.14/hooks/marginalia"  # an IP literal: no DNS needed


def register(client, headers, **fields):
    payload = {"url": PUBLIC_URL, "events": ["post.*"], **fields}
    return client.post("/v1/webhooks", json=payload, headers=headers)


def test_registering_an_endpoint_shows_its_secret_once(client, admin):
    response = register(client, admin, events=["post.published", "comment.*"], description="CDN")
    assert response.status_code == 201
    body = response.get_json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == PUBLIC_URL and body["events"] == ["post.published", "comment.*"]
    assert body["active"] is True and body["description"] == "CDN"
    assert response.headers["Location"] == f"/v1/webhooks/{body['id']}"

    read = client.get(response.headers["Location"], headers=admin)
    assert read.status_code == 200 and "secret" not in read.get_json()
    listed = client.get("/v1/webhooks", headers=admin).get_json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]


def test_the_stored_secret_is_useless_without_the_secret_key(app, client, admin):
    secret = register(client, admin).get_json()["secret"]
    with app.app_context():
        stored = db.session.scalar(select(WebhookEndpoint.secret_ciphertext))
        db.session.remove()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert crypto.unseal(stored, app.config["SECRET_KEY"]) == secret
    with pytest.raises(crypto.SecretUnreadable):
        crypto.unseal(stored, "a key from somewhere else")


def test_rotating_gives_a_new_secret_and_an_overlap(client, admin):
    created = register(client, admin).get_json()
    response = client.post(f"/v1/webhooks/{created['id']}/rotate-secret", headers=admin)
    assert response.status_code == 200
    rotated = response.get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None


def test_patch_changes_fields_and_honours_if_match(client, admin):
    created = register(client, admin).get_json()
    url = f"/v1/webhooks/{created['id']}"
    etag = client.get(url, headers=admin).headers["ETag"]
    changed = client.patch(
        url,
        json={"events": ["*"], "description": "everything", "active": False},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["events"] == ["*"] and body["active"] is False
    assert body["disabled_reason"] == "disabled by an admin"
    stale = client.patch(url, json={"description": "x"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412

    enabled = client.patch(url, json={"active": True}, headers=admin).get_json()
    assert enabled["active"] is True and enabled["disabled_reason"] is None


def test_delete_removes_the_endpoint(client, admin):
    created = register(client, admin).get_json()
    url = f"/v1/webhooks/{created['id']}"
    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=admin).status_code == 404
    assert client.delete(url, headers=admin).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://2130706433/hook",  # 127.0.0.1 spelled as a number
        "http://[::ffff:192.168.0.1]/hook",
    ],
)
def test_internal_targets_are_refused(client, admin, url):
    response = register(client, admin, url=url)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "url" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://93.184.215.14/x"}, "url"),
        ({"url": "https://user:pw@93.184.215.14/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["Post Published"]}, "events"),
        ({"events": ["comment.*.x"]}, "events"),
        ({"events": "post.published"}, "events"),
    ],
)
def test_invalid_registrations_are_422(client, admin, fields, field):
    response = register(client, admin, **fields)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("role", ["editor", "moderator", "event-reader"])
def test_only_admins_manage_webhooks(client, make_token, role):
    headers = {"Authorization": f"Bearer {make_token(role)}"}
    assert register(client, headers).status_code == 403
    assert client.get("/v1/webhooks", headers=headers).status_code == 403
    assert register(client, {}).status_code == 401


def test_unknown_endpoints_are_404_even_with_absurd_ids(client, admin):
    for path in (
        "/v1/webhooks/999",
        f"/v1/webhooks/{2**70}",
        f"/v1/webhooks/1/deliveries/{2**70}",
    ):
        assert client.get(path, headers=admin).status_code == 404, path
    assert client.post(f"/v1/webhooks/{2**40}/test", headers=admin).status_code == 404
