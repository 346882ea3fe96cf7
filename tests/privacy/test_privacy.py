"""A commenter's data: an admin reads everything stored about them, and erases it. After
an erasure no API (staff included), export, event, webhook payload or log line has the
erased email, IP or name."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from sqlalchemy import select

from api.events.models import Event
from api.infra.database import db
from api.webhooks.delivery import payload
from api.webhooks.sender import render_body
from tests.moderation.helpers import decide
from tests.transfer.helpers import read_all, run_cli

NAME, EMAIL, IP, AGENT = (
    "Zed Quillfeather",
    "Zed.Quill@example.net",
    "203.0.113.77",
    "ZedBrowser/9.1",
)
ERASED = (NAME, EMAIL.lower(), IP, AGENT, "zed.example")


def _say(client, slug: str, body: str, *, name=NAME, email=EMAIL, ip=IP, parent=None) -> int:
    answer = client.post(
        f"/v1/posts/{slug}/comments",
        json={
            "body": body,
            "author_name": name,
            "author_email": email,
            **({"author_url": "https://zed.example/"} if name == NAME else {}),
            **({"parent_id": parent} if parent else {}),
        },
        headers={"User-Agent": AGENT if name == NAME else "Other/1"},
        environ_base={"REMOTE_ADDR": ip},
    )
    assert answer.status_code == 202, json.dumps(answer.get_json())
    return answer.get_json()["id"]


@pytest.fixture
def thread(client, admin, publish) -> dict:
    """Zed's two comments (approved, with a moderator's reason naming Zed), a reply to
    the first by someone else, and an unrelated comment."""
    flood = client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    assert flood.status_code == 200, flood.get_json()
    post = publish("Open for comments")
    first = _say(client, post["slug"], "First thoughts on this.")
    second = _say(client, post["slug"], "More thoughts.")
    for comment_id in (first, second):
        decided = decide(client, admin, comment_id, "approved", reason=f"fine, {NAME}")
        assert decided.status_code == 200, decided.get_json()
    # An admin held anything from Zed's address for moderation.
    keys = client.patch(
        "/v1/settings/discussion", json={"moderation_keys": [EMAIL, "casino"]}, headers=admin
    )
    assert keys.status_code == 200, keys.get_json()
    reply = _say(
        client,
        post["slug"],
        "I agree.",
        name="Ann",
        email="ann@example.org",
        ip="198.51.100.4",
        parent=first,
    )
    assert decide(client, admin, reply, "approved").status_code == 200
    return {"post": post, "first": first, "second": second, "reply": reply}


def _erasure_mode(app, mode: str):
    original = app.config["MARGINALIA"]
    app.config["MARGINALIA"] = dataclasses.replace(original, privacy_erasure=mode)
    return original


def test_an_admin_reads_everything_stored_about_a_commenter(client, admin, thread, make_token):
    found = client.get("/v1/privacy/commenters?email=zed.quill@EXAMPLE.net", headers=admin)
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert [c["id"] for c in body["comments"]] == [thread["first"], thread["second"]]
    assert body["names"] == [NAME]
    assert body["ip_addresses"] == [IP]
    assert body["user_agents"] == [AGENT]
    assert {c["author_url"] for c in body["comments"]} == {"https://zed.example/"}
    assert {d["comment_id"] for d in body["moderation"]} == {thread["first"], thread["second"]}
    # Admins only; and a commenter is named by email or by identity.
    moderator = {"Authorization": f"Bearer {make_token('moderator')}"}
    assert (
        client.get("/v1/privacy/commenters?email=a@b.example", headers=moderator).status_code == 403
    )
    assert client.get("/v1/privacy/commenters", headers=admin).status_code == 422


def _everything_readable(app, client, admin, tmp_path) -> str:
    """Every API read (public and staff), the export, the events and their webhook
    payloads, as one text to search."""
    texts = []
    reads = [
        "/v1/posts",
        "/v1/authors",
        "/v1/events?after=0&limit=100",
        "/v1/moderation/log",
        "/v1/settings/discussion",
        *(f"/v1/moderation/comments?status={s}" for s in ("pending", "approved", "spam", "trash")),
    ]
    for path in reads:
        texts.append(client.get(path, headers=admin).get_data(as_text=True))
    for item in read_all(client, "/v1/posts", admin):
        for path in (f"/v1/posts/{item['slug']}", f"/v1/posts/{item['slug']}/comments"):
            texts.append(client.get(path).get_data(as_text=True))
            texts.append(client.get(path, headers=admin).get_data(as_text=True))
    for comment in read_all(client, "/v1/moderation/comments?status=approved", admin):
        texts.append(
            client.get(f"/v1/moderation/comments/{comment['id']}", headers=admin).get_data(
                as_text=True
            )
        )
    export = tmp_path / "export.jsonl"
    assert run_cli(app, "export", "--output", str(export)).exit_code == 0
    texts.append(export.read_text())
    with app.app_context():
        for event in db.session.scalars(select(Event)):
            texts.append(render_body(payload(event)).decode())
        db.session.remove()
    return "\n".join(texts)


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_after_an_erasure_nothing_says_who_the_commenter_was(
    app, client, admin, thread, tmp_path, caplog, mode
):
    before = _everything_readable(app, client, admin, tmp_path)
    assert NAME in before and IP in before  # the search finds them while they are there
    original = _erasure_mode(app, mode)
    caplog.set_level(logging.DEBUG)
    try:
        erased = client.post("/v1/privacy/erasures", json={"email": EMAIL}, headers=admin)
    finally:
        app.config["MARGINALIA"] = original
    assert erased.status_code == 200, erased.get_json()
    body = erased.get_json()
    assert body["mode"] == mode
    kept = client.get("/v1/settings/discussion", headers=admin).get_json()["moderation_keys"]
    assert kept == ["casino"]

    after = _everything_readable(app, client, admin, tmp_path).lower()
    logged = "\n".join(
        json.dumps(record.__dict__, default=str) + record.getMessage() for record in caplog.records
    ).lower()
    for value in ERASED:
        assert value.lower() not in after, value
        assert value.lower() not in logged, value

    thread_now = client.get(f"/v1/posts/{thread['post']['slug']}/comments").get_json()["items"]
    by_id = {c["id"]: c for c in thread_now}
    # The reply keeps its place under the comment it answered.
    assert by_id[thread["reply"]]["parent_id"] == thread["first"]
    assert thread["first"] in by_id
    if mode == "delete":
        assert body["deleted"] == [thread["second"]]
        assert body["anonymised"] == [thread["first"]]
        assert thread["second"] not in by_id
        assert "[deleted]" in by_id[thread["first"]]["body_html"]
    else:
        assert body["anonymised"] == [thread["first"], thread["second"]]
        assert by_id[thread["second"]]["author_name"] == "Anonymous"
    # The erasure is told, with ids only.
    feed = client.get("/v1/events?after=0&limit=100&types=privacy.erased", headers=admin)
    assert [e["data"]["mode"] for e in feed.get_json()["items"]] == [mode]
    # Nothing more is stored for that commenter.
    again = client.get(f"/v1/privacy/commenters?email={EMAIL}", headers=admin).get_json()
    assert again["comments"] == []


def test_erasing_an_unknown_commenter_is_a_404(client, admin):
    answer = client.post(
        "/v1/privacy/erasures", json={"email": "nobody@example.org"}, headers=admin
    )
    assert answer.status_code == 404


def test_the_worker_clears_ips_older_than_the_retention(app, client, admin, thread, in_app):
    from datetime import timedelta

    from sqlalchemy import update

    from api.comments.models import Comment
    from api.infra.timestamps import utcnow
    from api.privacy.tasks import clear_expired_ips

    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == thread["first"])
            .values(created_at=utcnow() - timedelta(days=31))
        )
        db.session.commit()
        db.session.remove()
    assert in_app(clear_expired_ips.call_local) == 1
    stored = client.get(f"/v1/privacy/commenters?email={EMAIL}", headers=admin).get_json()
    ips = {c["id"]: (c["ip_address"], c["user_agent"]) for c in stored["comments"]}
    assert ips == {thread["first"]: (None, None), thread["second"]: (IP, AGENT)}


def test_a_commenter_is_named_by_email_or_by_a_whole_oidc_identity(client, admin):
    base = "/v1/privacy/commenters"
    issuer = "https://id.example"
    by_identity = client.get(f"{base}?issuer={issuer}&subject=u-1", headers=admin)
    assert by_identity.status_code == 200
    assert by_identity.get_json()["comments"] == []
    assert client.get(f"{base}?issuer={issuer}", headers=admin).status_code == 422
    both = client.get(f"{base}?issuer={issuer}&subject=u-1&email=a@b.example", headers=admin)
    assert both.status_code == 422
    erased = client.post(
        "/v1/privacy/erasures", json={"issuer": issuer, "subject": "u-1"}, headers=admin
    )
    assert erased.status_code == 404
