"""Reply notifications through a real SMTP server (aiosmtpd on 127.0.0.1): double
opt-in, a digest of approved replies only, one-click unsubscribe, retries when the
server is down, and the delivery log (issue 20)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from api.comments import notify
from api.events.dispatch import dispatch_pending
from api.infra.database import db
from api.infra.timestamps import utcnow
from tests.comments.helpers import new_ip
from tests.unit.test_mail import Inbox, _free_port


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mailing(app, monkeypatch, smtp, discussion):
    discussion(flood_interval=0, previously_approved=True)  # new authors wait: pending
    inbox, port = smtp
    settings = replace(
        app.config["MARGINALIA"],
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_timeout=5.0,
        mail_from="Blog <noreply@blog.example>",
        notify_digest_minutes=0,
    )
    monkeypatch.setitem(app.config, "MARGINALIA", settings)
    return inbox


@pytest.fixture
def worker(app):
    """What the worker does: dispatch new events, gather digests, send due mail."""

    def run(now=None) -> int:
        with app.app_context():
            dispatch_pending()
            settings = app.config["MARGINALIA"]
            notify.build_digests(settings, app.config["SECRET_KEY"])
            notify.build_moderator_digests(settings, app.config["SECRET_KEY"])
            sent = notify.send_due_mail(settings, now)
            db.session.remove()
        return sent

    return run


def _say(client, slug, body, email, **fields):
    answer = client.post(
        f"/v1/posts/{slug}/comments",
        json={"body": body, "author_name": email.split("@")[0], "author_email": email, **fields},
        environ_base={"REMOTE_ADDR": new_ip()},
    )
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["id"]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _link(message, name: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"https://api\.blog\.example/v1/notifications/{name}\?token=\S+", text)[0]


def test_opt_in_digest_of_approved_replies_and_one_click_unsubscribe(
    client, admin, post, approve, mailing, worker
):
    inbox = mailing
    parent = _say(
        client, post["slug"], "Tell me of replies.", "sub@example.org", notify_replies=True
    )
    approve(parent)
    early = _say(client, post["slug"], "Before confirming.", "early@example.org", parent_id=parent)
    approve(early)
    assert worker() == 1
    [confirmation] = [m.message for m in inbox.messages]
    assert confirmation["To"] == "sub@example.org"
    assert confirmation["Subject"] == "Confirm reply notifications"
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert confirmation["List-Unsubscribe"].startswith("<https://api.blog.example/v1/")

    confirmed = client.get(_path(_link(confirmation, "confirm")))
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    assert client.get("/v1/notifications/confirm?token=forged").status_code == 422

    for n in (1, 2):
        approve(_say(client, post["slug"], f"Reply {n}.", f"r{n}@example.org", parent_id=parent))
    _say(client, post["slug"], "Still pending.", "p@example.org", parent_id=parent)
    assert worker() == 1
    digest = inbox.messages[-1].message
    text = digest.get_body(("plain",)).get_content()
    assert digest["Subject"] == "2 new comments in discussions you follow", text
    assert digest["To"] == "sub@example.org"
    assert "Reply 1." in text and "Reply 2." in text
    assert "Still pending." not in text and "Before confirming." not in text
    assert len(inbox.messages) == 2

    # One click: a POST to the List-Unsubscribe URL, no login; a GET changes nothing.
    unsubscribe = digest["List-Unsubscribe"].strip("<>")
    assert client.get(_path(unsubscribe)).get_json()["status"] == "subscribed"
    gone = client.post(
        _path(unsubscribe),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert gone.status_code == 200 and gone.get_json()["status"] == "unsubscribed"
    approve(_say(client, post["slug"], "After leaving.", "r3@example.org", parent_id=parent))
    assert worker() == 0
    assert len(inbox.messages) == 2

    log = client.get("/v1/notifications/deliveries", headers=admin).get_json()["items"]
    assert [(d["kind"], d["status"]) for d in log] == [("digest", "sent"), ("confirmation", "sent")]


def test_smtp_down_is_retried_and_logged(
    app, client, admin, make_token, post, mailing, worker, monkeypatch
):
    settings = app.config["MARGINALIA"]
    monkeypatch.setitem(app.config, "MARGINALIA", replace(settings, smtp_port=_free_port()))
    _say(client, post["slug"], "Notify me.", "later@example.org", notify_replies=True)
    assert worker() == 0
    [pending] = client.get("/v1/notifications/deliveries", headers=admin).get_json()["items"]
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert pending["last_error"] and pending["next_attempt_at"]
    # Not due yet: nothing is tried; the server back and the time come, it goes out.
    monkeypatch.setitem(app.config, "MARGINALIA", settings)
    assert worker() == 0
    assert worker(utcnow() + timedelta(minutes=2)) == 1
    assert len(mailing.messages) == 1
    [sent] = client.get("/v1/notifications/deliveries", headers=admin).get_json()["items"]
    assert sent["status"] == "sent" and sent["attempts"] == 2
    editor = {"Authorization": f"Bearer {make_token('editor')}"}
    assert client.get("/v1/notifications/deliveries", headers=editor).status_code == 403


def test_moderators_get_a_digest_of_pending_comments(
    app, client, admin, post, mailing, worker, monkeypatch
):
    created = client.post(
        "/v1/tokens",
        json={"name": "Mo", "role": "moderator", "email": "Mo@Blog.example"},
        headers=admin,
    )
    assert created.status_code == 201 and created.get_json()["email"] == "mo@blog.example"
    _say(client, post["slug"], "Please look at me.", "new@example.org")
    assert worker() == 0  # the setting is off by default
    settings = app.config["MARGINALIA"]
    monkeypatch.setitem(app.config, "MARGINALIA", replace(settings, moderator_digest=True))
    assert worker() == 1
    [received] = mailing.messages
    assert received.message["To"] == "mo@blog.example"
    assert received.message["Subject"] == "1 comment waiting for moderation"
    assert "Please look at me." in received.message.get_body(("plain",)).get_content()
    assert worker() == 0  # nothing new since


def test_a_thread_subscription_hears_of_every_approved_comment(
    client, post, approve, mailing, worker
):
    url = f"/v1/posts/{post['slug']}/subscriptions"
    answer = client.post(url, json={"email": "Reader@Example.org"})
    assert answer.status_code == 202 and answer.get_json()["status"] == "unconfirmed"
    assert (
        client.post("/v1/posts/nope/subscriptions", json={"email": "a@b.example"}).status_code
        == 404
    )
    assert client.post(url, json={"email": "not an address"}).status_code == 422
    assert worker() == 1
    [confirmation] = [m.message for m in mailing.messages]
    assert confirmation["To"] == "reader@example.org"
    assert client.get(_path(_link(confirmation, "confirm"))).status_code == 200

    approve(_say(client, post["slug"], "A new top comment.", "other@example.org"))
    _say(client, post["slug"], "Waiting.", "waiting@example.org")
    assert worker() == 1
    digest = mailing.messages[-1].message
    text = digest.get_body(("plain",)).get_content()
    assert digest["Subject"] == "A new comment in a discussion you follow"
    assert "A new top comment." in text and "Waiting." not in text
    # Subscribed again: confirmed at once, no new confirmation mail.
    again = client.post(url, json={"email": "reader@example.org"})
    assert again.get_json()["status"] == "confirmed"
    assert worker() == 0
