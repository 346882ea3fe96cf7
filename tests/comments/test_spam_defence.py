"""Spam defence through HTTP (issue 20): block rules, "block this author", the honeypot
and the comment-form token, each deciding a comment with its reason in the queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from api.comments import defences
from api.infra.timestamps import utcnow
from tests.comments.helpers import bearer, new_ip

UA = {"User-Agent": "TestBrowser/1.0"}


@pytest.fixture
def moderator(make_token) -> dict[str, str]:
    return bearer(make_token("moderator"))


@pytest.fixture
def configure(app, monkeypatch):
    def change(**values):
        settings = replace(app.config["MARGINALIA"], **values)
        monkeypatch.setitem(app.config, "MARGINALIA", settings)
        return settings

    return change


@pytest.fixture
def send(client):
    def post(slug, body="A thoughtful remark.", *, ip=None, headers=None, **fields):
        payload = {"author_name": "Reader", "author_email": "reader@example.org", **fields}
        payload["body"] = body
        return client.post(
            f"/v1/posts/{slug}/comments",
            json=payload,
            headers={**UA, **(headers or {})},
            environ_base={"REMOTE_ADDR": ip or new_ip()},
        )

    return post


@pytest.fixture
def queued(client, moderator):
    def read(comment_id: int) -> dict:
        response = client.get(f"/v1/moderation/comments/{comment_id}", headers=moderator)
        assert response.status_code == 200
        return response.get_json()

    return read


def _block(client, headers, **rule):
    return client.post("/v1/moderation/blocks", json=rule, headers=headers)


def _rules(item) -> dict[str, str]:
    return {r["rule"]: r["verdict"] for r in item["reasons"]}


# --- block rules ----------------------------------------------------------------------


def test_each_kind_of_block_decides_a_comment_with_its_reason(
    client, moderator, admin, post, send, queued, discussion
):
    discussion(flood_interval=0)
    cases = [
        (
            {"kind": "email", "value": "Spammer@Example.org"},
            {"author_email": "spammer@example.org"},
        ),
        ({"kind": "email_domain", "value": "spam.example"}, {"author_email": "a@mx.spam.example"}),
        ({"kind": "ip", "value": "203.0.113.0/24"}, {"ip": "203.0.113.9"}),
        ({"kind": "ip", "value": "2001:db8::1"}, {"ip": "2001:db8::abcd"}),  # the /64
        ({"kind": "word", "value": "casino"}, {"body": "Best CASINO bonus."}),
        ({"kind": "regex", "value": r"v[i1]agr[a@]"}, {"body": "cheap v1agr@ here"}),
    ]
    for rule, comment in cases:
        created = _block(client, moderator, **rule, action="spam", note="seen before")
        assert created.status_code == 201, created.get_json()
        assert created.headers["Location"].endswith(f"/v1/moderation/blocks/{created.json['id']}")
        fields = dict(comment)
        body = fields.pop("body", f"A harmless remark on {rule['value']}.")
        answer = send(post["slug"], body, **fields)
        assert answer.status_code == 202
        assert answer.get_json()["status"] == "pending"  # spam is never admitted to
        item = queued(answer.get_json()["id"])
        assert item["status"] == "spam", rule
        reason = next(r for r in item["reasons"] if r["rule"] == "blocked")
        assert f"block rule {created.json['id']}" in reason["reason"]

    listed = client.get("/v1/moderation/blocks?count=true", headers=admin).get_json()
    assert len(listed["items"]) == len(cases)
    assert listed["items"][3]["value"] == "2001:db8::/64"  # what is really blocked
    assert (
        client.get("/v1/moderation/blocks?kind=word", headers=moderator).json["items"][0]["value"]
        == "casino"
    )


def test_identity_blocks_and_hold_and_expiry(client, moderator, post, send, queued, discussion):
    discussion(flood_interval=0)
    rule = _block(client, moderator, kind="word", value="crypto", action="hold").get_json()
    held = send(post["slug"], "Ask me about crypto.")
    item = queued(held.get_json()["id"])
    assert item["status"] == "pending" and _rules(item)["blocked"] == "pending"

    # An expiry in the past is refused; a rule that has expired decides nothing.
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    refused = client.patch(
        f"/v1/moderation/blocks/{rule['id']}", json={"expires_at": past}, headers=moderator
    )
    assert refused.status_code == 422 and "expires_at" in refused.get_json()["errors"]
    soon = (utcnow() + timedelta(seconds=1)).isoformat()
    etag = client.get(f"/v1/moderation/blocks/{rule['id']}", headers=moderator).headers["ETag"]
    changed = client.patch(
        f"/v1/moderation/blocks/{rule['id']}",
        json={"expires_at": soon},
        headers={**moderator, "If-Match": etag},
    )
    assert changed.status_code == 200
    stale = client.patch(
        f"/v1/moderation/blocks/{rule['id']}",
        json={"note": "x"},
        headers={**moderator, "If-Match": etag},
    )
    assert stale.status_code == 412

    identity = _block(
        client, moderator, kind="identity", value="https://id.example 42", action="spam"
    )
    assert identity.status_code == 201 and identity.get_json()["value"] == "https://id.example 42"
    bad = _block(client, moderator, kind="identity", value="42")
    assert bad.status_code == 422 and "value" in bad.get_json()["errors"]
    dup = _block(client, moderator, kind="word", value="CRYPTO")
    assert dup.status_code == 409


def test_block_rules_are_validated_and_for_staff_who_moderate(client, make_token, post):
    editor = bearer(make_token("editor"))
    assert _block(client, editor, kind="word", value="x").status_code == 403
    assert client.get("/v1/moderation/blocks").status_code == 401
    admin = bearer(make_token("admin"))
    catastrophic = _block(client, admin, kind="regex", value="(")
    assert catastrophic.status_code == 422
    everything = _block(client, admin, kind="regex", value="a*")
    assert everything.status_code == 422
    assert _block(client, admin, kind="ip", value="0.0.0.0/0").status_code == 422
    assert _block(client, admin, kind="planet", value="mars").status_code == 422
    created = _block(client, admin, kind="regex", value=r"(a|aa)+$", action="hold").get_json()
    assert client.delete(f"/v1/moderation/blocks/{created['id']}", headers=admin).status_code == 204
    assert client.get(f"/v1/moderation/blocks/{created['id']}", headers=admin).status_code == 404


def test_a_catastrophic_regex_costs_a_time_limit_not_the_comment(
    client, moderator, post, send, queued
):
    _block(client, moderator, kind="regex", value=r"(a|aa)+$", action="spam")
    answer = send(post["slug"], "a" * 5000 + "!")
    assert answer.status_code == 202
    assert "blocked" not in _rules(queued(answer.get_json()["id"]))


def test_shadow_blocks_answer_like_an_accepted_comment_when_enabled(
    client, moderator, post, send, queued, configure, discussion
):
    discussion(flood_interval=0, previously_approved=False)
    _block(client, moderator, kind="email", value="troll@example.org", action="shadow")
    # Off (the default): a shadow rule acts as spam, and the sender sees pending.
    spam = send(post["slug"], author_email="troll@example.org")
    assert spam.get_json()["status"] == "pending"
    assert _rules(queued(spam.get_json()["id"]))["blocked"] == "spam"

    configure(blocklist_shadow=True)
    shadowed = send(post["slug"], "Second try.", author_email="troll@example.org")
    answer = shadowed.get_json()
    assert shadowed.status_code == 202 and answer["status"] == "approved"
    own = client.get(f"/v1/comments/{answer['id']}", headers=bearer(answer["edit_token"]))
    assert own.get_json()["status"] == "approved"
    item = queued(answer["id"])
    assert item["status"] == "spam" and _rules(item)["shadow_block"] == "spam"
    public = client.get(f"/v1/posts/{post['slug']}/comments").get_json()["items"]
    assert answer["id"] not in [c["id"] for c in public]


def test_block_this_author_from_a_queued_comment_in_one_call(
    client, moderator, post, send, queued, discussion
):
    discussion(flood_interval=0)
    first = send(post["slug"], "Buy now.", author_email="bot@spam.example", ip="198.51.100.7")
    comment_id = first.get_json()["id"]
    blocked = client.post(
        f"/v1/moderation/comments/{comment_id}/block",
        json={"mark_spam": True, "note": "bot"},
        headers=moderator,
    )
    assert blocked.status_code == 200, blocked.get_json()
    kinds = {rule["kind"]: rule for rule in blocked.get_json()["items"]}
    assert set(kinds) == {"email", "ip"}
    assert kinds["ip"]["value"] == "198.51.100.7" and kinds["email"]["comment_id"] == comment_id
    assert queued(comment_id)["status"] == "spam"
    log = client.get(f"/v1/moderation/log?comment_id={comment_id}", headers=moderator).get_json()
    assert log["items"][0]["to_status"] == "spam"

    # The next comment from the same address, under another email, is spam.
    again = send(post["slug"], "Buy again.", author_email="new@else.example", ip="198.51.100.7")
    assert queued(again.get_json()["id"])["status"] == "spam"
    # Asking twice keeps the rules; a field the comment lacks is a 422.
    twice = client.post(
        f"/v1/moderation/comments/{comment_id}/block", json={"fields": ["ip"]}, headers=moderator
    )
    assert [r["id"] for r in twice.get_json()["items"]] == [kinds["ip"]["id"]]
    lacking = client.post(
        f"/v1/moderation/comments/{comment_id}/block",
        json={"fields": ["identity"]},
        headers=moderator,
    )
    assert lacking.status_code == 422
    assert (
        client.post("/v1/moderation/comments/999999/block", json={}, headers=moderator).status_code
        == 404
    )


# --- honeypot and form token ----------------------------------------------------------


def test_a_filled_honeypot_is_spam(client, post, send, queued):
    answer = send(post["slug"], honeypot="http://spam.example")
    assert answer.status_code == 202 and answer.get_json()["status"] == "pending"
    assert _rules(queued(answer.get_json()["id"]))["honeypot"] == "spam"
    fine = send(post["slug"], "Another.", honeypot="", author_email="b@example.org")
    assert "honeypot" not in _rules(queued(fine.get_json()["id"]))


def _token(app, post_id: int, age: float, user_agent: str = UA["User-Agent"]) -> str:
    now = utcnow() - timedelta(seconds=age)
    return defences.issue_token(app.config["SECRET_KEY"], post_id, user_agent, now)


def test_form_tokens_hold_by_default(app, client, post, send, queued, configure, discussion):
    discussion(flood_interval=0, previously_approved=False)
    configure(comment_token_invalid="hold")
    issued = client.get(f"/v1/posts/{post['slug']}/comment-token", headers=UA)
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    body = issued.get_json()
    assert {"token", "not_before", "expires_at"} <= set(body)

    verdicts = {
        "too_fast": body["token"],  # sent at once: sooner than 3 s
        "too_old": _token(app, post["id"], age=2 * 86400),
        "forged": body["token"][:-4] + "AAAA",
        "missing": None,
    }
    for name, token in verdicts.items():
        answer = send(post["slug"], f"Remark {name}.", form_token=token)
        assert answer.status_code == 202
        item = queued(answer.get_json()["id"])
        assert item["status"] == "pending" and _rules(item)["form_token"] == "pending", name

    # A good token (fetched more than 3 s ago, same browser) holds nothing.
    good = send(post["slug"], "Remark ok.", form_token=_token(app, post["id"], age=10))
    item = queued(good.get_json()["id"])
    assert item["status"] == "approved" and "form_token" not in _rules(item)
    # Another browser's token, or another post's, is forged.
    other = send(post["slug"], "Remark ua.", form_token=_token(app, post["id"], 10, "Bot/2"))
    assert _rules(queued(other.get_json()["id"]))["form_token"] == "pending"


def test_form_tokens_may_refuse(app, client, post, send, configure, discussion, all_comments):
    discussion(flood_interval=0)
    configure(comment_token_invalid="refuse")
    before = len(all_comments())
    refused = send(post["slug"], "No token.")
    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("/problems/form-token")
    assert len(all_comments()) == before
    ok = send(post["slug"], "With a token.", form_token=_token(app, post["id"], age=5))
    assert ok.status_code == 202
    assert client.get("/v1/posts/nope/comment-token").status_code == 404


def test_an_edit_meets_the_block_rules_too(client, moderator, post, send, queued, discussion):
    discussion(flood_interval=0, previously_approved=False)
    answer = send(post["slug"], "Harmless at first.").get_json()
    assert answer["status"] == "approved"
    _block(client, moderator, kind="word", value="jackpot", action="spam")
    edited = client.patch(
        f"/v1/comments/{answer['id']}",
        json={"body": "Now with a jackpot link."},
        headers=bearer(answer["edit_token"]),
    )
    assert edited.status_code == 200
    item = queued(answer["id"])
    assert item["status"] == "spam" and _rules(item)["blocked"] == "spam"
