"""The Akismet-protocol check in the intake and moderators' corrections, against a local
server that speaks the documented protocol (tests/comments/fake_akismet.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from api.comments import defences, feedback
from api.events.dispatch import dispatch_pending
from api.infra.database import db
from api.infra.timestamps import utcnow
from tests.comments.fake_akismet import VALID_KEY, FakeAkismet
from tests.comments.helpers import bearer, new_ip

UA = {"User-Agent": "TestBrowser/1.0", "Referer": "https://blog.example/open-for-comments/"}


@pytest.fixture
def fake():
    server = FakeAkismet().start()
    yield server
    defences.close_clients()
    server.stop()


@pytest.fixture
def with_akismet(app, monkeypatch):
    def configure(url: str, timeout: float = 2.0):
        settings = replace(
            app.config["MARGINALIA"],
            akismet_key=VALID_KEY,
            akismet_url=url,
            akismet_timeout=timeout,
            allow_private_targets=True,
        )
        monkeypatch.setitem(app.config, "MARGINALIA", settings)
        return settings

    return configure


@pytest.fixture
def send(client, discussion):
    discussion(flood_interval=0, previously_approved=False)

    def post(slug, body="A thoughtful remark.", **fields):
        payload = {"author_name": "Reader", "author_email": "reader@example.org", **fields}
        payload["body"] = body
        return client.post(
            f"/v1/posts/{slug}/comments",
            json=payload,
            headers=UA,
            environ_base={"REMOTE_ADDR": new_ip()},
        )

    return post


@pytest.fixture
def moderator(make_token):
    return bearer(make_token("moderator"))


def _item(client, moderator, comment_id):
    return client.get(f"/v1/moderation/comments/{comment_id}", headers=moderator).get_json()


def _akismet_reason(item):
    return next(r for r in item["reasons"] if r["rule"] == "akismet")


def test_comment_check_sends_the_documented_fields_and_decides(
    client, moderator, post, send, fake, with_akismet
):
    with_akismet(fake.url)
    ham = send(post["slug"], "Lovely post.", author_url="https://reader.example/")
    assert ham.status_code == 202
    item = _item(client, moderator, ham.get_json()["id"])
    assert item["status"] == "approved"
    assert _akismet_reason(item)["verdict"] == "approved"
    [call] = fake.calls
    assert call.path == "/1.1/comment-check"
    form = call.form
    assert form["api_key"] == VALID_KEY and form["blog"] == "https://blog.example/"
    assert form["permalink"] == f"https://blog.example/{post['slug']}/"
    for name, value in {
        "user_agent": "TestBrowser/1.0",
        "referrer": UA["Referer"],
        "comment_type": "comment",
        "comment_author": "Reader",
        "comment_author_email": "reader@example.org",
        "comment_author_url": "https://reader.example/",
        "comment_content": "Lovely post.",
        "blog_lang": "en",
    }.items():
        assert form[name] == value, name
    assert form["user_ip"].startswith("10.") and form["comment_date_gmt"].endswith("Z")

    spam = send(post["slug"], "Pills.", author_name="viagra-test-123")
    assert spam.status_code == 202 and spam.get_json()["status"] == "pending"
    item = _item(client, moderator, spam.get_json()["id"])
    assert item["status"] == "spam" and _akismet_reason(item)["reason"] == "Akismet: spam."


def test_pro_tip_discard_refuses_blatant_spam(client, post, send, fake, with_akismet, all_comments):
    with_akismet(fake.url)
    before = len(all_comments())
    refused = send(post["slug"], "blatant-spam everywhere")
    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("/problems/spam")
    assert len(all_comments()) == before


@pytest.mark.parametrize("trouble", ["down", "slow", "bad key"])
def test_akismet_trouble_leaves_the_comment_for_a_moderator(
    client, moderator, post, send, fake, with_akismet, app, monkeypatch, trouble
):
    if trouble == "down":
        url = fake.url
        fake.stop()
        with_akismet(url)
    elif trouble == "slow":
        fake.delay = 5
        with_akismet(fake.url, timeout=0.5)
    else:
        settings = with_akismet(fake.url)
        monkeypatch.setitem(app.config, "MARGINALIA", replace(settings, akismet_key="wrong"))
    answer = send(post["slug"], f"Still here when Akismet is {trouble}.")
    assert answer.status_code == 202
    item = _item(client, moderator, answer.get_json()["id"])
    assert item["status"] == "pending"
    assert "Akismet unavailable" in _akismet_reason(item)["reason"]


def test_moderators_corrections_are_reported_by_the_worker(
    app, client, moderator, post, send, fake, with_akismet
):
    settings = with_akismet(fake.url)
    held = send(post["slug"], "Pills, but honest.", author_name="viagra-test-123").get_json()
    missed = send(post["slug"], "Sneaky spam.", author_email="s@example.org").get_json()
    decisions = ((held["id"], "pending"), (held["id"], "approved"), (missed["id"], "spam"))
    for comment_id, status in decisions:
        decided = client.patch(
            f"/v1/moderation/comments/{comment_id}", json={"status": status}, headers=moderator
        )
        assert decided.status_code == 200
    with app.app_context():
        dispatch_pending()
        assert [(r["kind"], r["status"]) for r in feedback.reports()] == [
            ("ham", "pending"),
            ("spam", "pending"),
        ]
        # The service is down: the reports wait for a retry, nothing is lost.
        fake.override = (503, "Service Unavailable", {})
        assert feedback.send_due_reports(settings) == 0
        assert [r["attempts"] for r in feedback.reports()] == [1, 1]
        fake.override = None
        assert feedback.send_due_reports(settings, utcnow() + timedelta(minutes=2)) == 2
        assert {r["status"] for r in feedback.reports()} == {"sent"}
        db.session.remove()
    calls = [c for c in fake.calls if c.path != "/1.1/comment-check"]
    assert [c.path for c in calls[-2:]] == ["/1.1/submit-ham", "/1.1/submit-spam"]
    assert calls[-2].form["comment_author"] == "viagra-test-123"
    assert calls[-1].form["comment_content"] == "Sneaky spam."
