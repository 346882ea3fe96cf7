"""Submitting and reading comments over HTTP: statuses, refusals and their stored reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.comments.helpers import new_ip


def rules_of(comment) -> list[str]:
    return [reason["rule"] for reason in comment.reasons]


def test_first_comment_waits_then_the_approved_authors_next_is_approved(
    client, post, submit, approve, stored, events, discussion
):
    discussion(flood_interval=0)  # the author comes back at once
    first = submit(post["slug"], "First time here.")
    assert first.status_code == 202
    body = first.get_json()
    assert body["status"] == "pending"
    assert first.headers["Location"] == f"/v1/comments/{body['id']}"
    assert body["edit_token"].startswith("mglc_")
    row = stored(body["id"])
    assert rules_of(row) == ["new_author"]
    assert row.edit_token_hash and body["edit_token"] not in row.edit_token_hash
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"] == 0

    approve(body["id"])
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"] == 1

    # Same author (same email, any case), from another address.
    second = submit(post["slug"], "Back again.", author_email="READER@example.org")
    assert second.status_code == 202
    assert second.get_json()["status"] == "approved"
    assert rules_of(stored(second.get_json()["id"])) == ["previously_approved"]
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"] == 2

    created = [data for kind, data in events("comment.created")]
    assert [(c["comment"]["id"], c["comment"]["status"]) for c in created] == [
        (body["id"], "pending"),
        (second.get_json()["id"], "approved"),
    ]
    assert "author_email" not in created[0]["comment"]


def test_an_approved_email_vouches_only_together_with_the_same_name(
    post, submit, approve, stored, discussion
):
    """WordPress's rule: name and email must both match an approved comment's."""
    discussion(flood_interval=0)
    first = submit(post["slug"], "Hello, first time.", author_name="Grace")
    approve(first.get_json()["id"])

    borrowed = submit(
        post["slug"],
        "Buy things at my site.",
        author_name="Mallory",
        author_url="https://spam.example/",
    )
    assert borrowed.get_json()["status"] == "pending"
    assert rules_of(stored(borrowed.get_json()["id"])) == ["new_author"]

    same = submit(
        post["slug"], "Grace again.", author_name="Grace", author_email="READER@example.org"
    )
    assert same.get_json()["status"] == "approved"
    assert rules_of(stored(same.get_json()["id"])) == ["previously_approved"]


def test_public_list_shows_approved_items_oldest_first_without_private_fields(
    client, post, submit, approve, discussion
):
    discussion(flood_interval=0)
    ids = [submit(post["slug"], f"Comment number {n}.").get_json()["id"] for n in range(3)]
    for comment_id in ids[:2]:
        approve(comment_id)
    reply = submit(post["slug"], "A reply.", parent_id=ids[0]).get_json()
    approve(reply["id"])

    page = client.get(f"/v1/posts/{post['slug']}/comments?limit=2")
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("public")
    first = page.get_json()
    assert [c["id"] for c in first["items"]] == ids[:2]
    assert first["next"] and 'rel="next"' in page.headers["Link"]
    rest = client.get(first["next"]).get_json()
    assert [(c["id"], c["parent_id"]) for c in rest["items"]] == [(reply["id"], ids[0])]
    assert rest["next"] is None

    item = first["items"][0]
    assert set(item) == {
        "id", "type", "status", "body_html", "author_name", "author_url", "author_photo",
        "mention_type", "parent_id", "created_at",
    }  # fmt: skip
    assert item["type"] == "comment" and item["status"] == "approved"
    assert "reader@example.org" not in page.get_data(as_text=True)


def test_closed_post_and_old_post_refuse_with_403(
    client, admin, publish, submit, discussion, all_comments
):
    closed = publish("Closed", comments_open=False)
    refused = submit(closed["slug"])
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"] == "/problems/comments-closed"

    old = publish("Old", published_at=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    assert submit(old["slug"]).status_code == 202
    discussion(close_comments_for_old_posts=True, close_comments_days_old=14)
    too_old = submit(old["slug"], "Late to the party.")
    assert too_old.status_code == 403
    assert "14 days" in too_old.get_json()["detail"]
    assert len(all_comments()) == 1  # refusals store nothing


def test_flood_same_ip_or_same_author_is_429_with_retry_after(post, submit, all_comments):
    ip = new_ip()
    assert submit(post["slug"], "One.", ip=ip).status_code == 202
    again = submit(post["slug"], "Two.", ip=ip, author_email="other@example.org")
    assert again.status_code == 429
    assert again.get_json()["type"] == "/problems/flood"
    assert 1 <= int(again.headers["Retry-After"]) <= 15
    # The same author from another address is flooding too.
    same_author = submit(post["slug"], "Three.", ip=new_ip())
    assert same_author.status_code == 429
    # Someone else elsewhere is not.
    assert submit(post["slug"], "Four.", author_email="third@example.org").status_code == 202
    assert len(all_comments()) == 2


def test_flood_interval_passes(app, post, submit, discussion, monkeypatch):
    from api.comments import intake

    ip = new_ip()
    assert submit(post["slug"], "One.", ip=ip).status_code == 202
    later = datetime.now(UTC) + timedelta(seconds=16)
    monkeypatch.setattr(intake, "utcnow", lambda: later)
    assert submit(post["slug"], "Two.", ip=ip).status_code == 202


def test_duplicate_same_author_same_text_same_post_is_409(
    post, publish, submit, discussion, all_comments
):
    discussion(flood_interval=0)
    assert submit(post["slug"], "Nice post!").status_code == 202
    duplicate = submit(post["slug"], "  Nice post!  ")
    assert duplicate.status_code == 409
    assert duplicate.get_json()["type"] == "/problems/duplicate-comment"
    # Another author, another post, or other text is fine.
    assert submit(post["slug"], "Nice post!", author_email="else@example.org").status_code == 202
    assert submit(publish("Other")["slug"], "Nice post!").status_code == 202
    assert submit(post["slug"], "Nice post, really!").status_code == 202
    assert len(all_comments()) == 4


def test_too_many_links_is_held_with_the_reason(post, submit, approve, stored, discussion):
    discussion(flood_interval=0)
    approve(submit(post["slug"], "Known author.").get_json()["id"])
    two = "See [one](https://a.example/) and <https://b.example/>."
    assert submit(post["slug"], two).get_json()["status"] == "approved"
    three = two + " Also www.c.example/page."
    held = submit(post["slug"], three)
    assert held.status_code == 202 and held.get_json()["status"] == "pending"
    reasons = stored(held.get_json()["id"]).reasons
    assert reasons[0] == {
        "rule": "too_many_links",
        "verdict": "pending",
        "reason": "3 links; comments with more than 2 are held.",
    }
    assert reasons[1]["rule"] == "previously_approved"


def test_moderation_and_disallowed_keys(post, submit, stored, discussion, approve):
    discussion(
        flood_interval=0,
        moderation_keys=["casino"],
        disallowed_keys=["Viagra", "spam@bad.example", "198.51.100.0/24", "bad.example/"],
    )
    approve(submit(post["slug"], "Known author.").get_json()["id"])

    held = submit(post["slug"], "Our CASINO night was fun.")
    assert held.get_json()["status"] == "pending"
    assert stored(held.get_json()["id"]).reasons[0]["rule"] == "moderation_key"

    cases = [
        ({"body": "Cheap viagra here"}, "comment text"),
        ({"author_email": "spam@bad.example"}, "author email"),
        ({"author_url": "https://bad.example/landing"}, "author URL"),
        ({"ip": "198.51.100.77"}, "IP address"),
    ]
    for fields, where in cases:
        response = submit(post["slug"], fields.pop("body", f"Hello from {where}."), **fields)
        assert response.status_code == 202
        # The author learns nothing: spam is reported as pending.
        assert response.get_json()["status"] == "pending"
        row = stored(response.get_json()["id"])
        assert row.status == "spam"
        assert row.reasons[0]["rule"] == "disallowed_key"
        assert where in row.reasons[0]["reason"]


def test_hold_all_and_previously_approved_off(post, submit, approve, stored, discussion):
    discussion(flood_interval=0)
    approve(submit(post["slug"], "Known.").get_json()["id"])
    discussion(hold_all=True)
    held = submit(post["slug"], "Held anyway.")
    assert held.get_json()["status"] == "pending"
    assert rules_of(stored(held.get_json()["id"])) == ["hold_all", "previously_approved"]
    discussion(hold_all=False, previously_approved=False)
    fresh = submit(post["slug"], "First words.", author_email="new@example.org")
    assert fresh.get_json()["status"] == "approved"
    assert rules_of(stored(fresh.get_json()["id"])) == ["auto_approve"]


def test_required_identity_fields_follow_the_settings(post, submit, discussion, stored):
    missing = submit(post["slug"], author_name=..., author_email=...)
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]) == {"author_name", "author_email"}
    bad = submit(post["slug"], author_email="not-an-email", author_url="javascript:alert(1)")
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"author_email", "author_url"}

    discussion(require_author_email=False, require_author_name=False)
    nameless = submit(post["slug"], author_name=..., author_email=...)
    assert nameless.status_code == 202
    assert nameless.get_json()["author_name"] == "Anonymous"

    discussion(allow_anonymous=False)
    signed_in_only = submit(post["slug"], "Let me in.")
    assert signed_in_only.status_code == 401
    assert "signed-in" in signed_in_only.get_json()["detail"]


def test_replies_need_an_approved_parent_on_the_same_post_within_the_depth(
    post, publish, submit, approve, discussion
):
    discussion(flood_interval=0, thread_comments_depth=3)
    top = submit(post["slug"], "Top.").get_json()["id"]
    pending_parent = submit(post["slug"], "Reply to pending.", parent_id=top)
    assert pending_parent.status_code == 422
    assert "parent_id" in pending_parent.get_json()["errors"]
    approve(top)
    other_post = submit(publish("Elsewhere")["slug"], "Cross-post reply.", parent_id=top)
    assert other_post.status_code == 422
    assert submit(post["slug"], "Missing parent.", parent_id=10**12).status_code == 422

    level2 = submit(post["slug"], "Level two.", parent_id=top).get_json()["id"]
    approve(level2)
    level3 = submit(post["slug"], "Level three.", parent_id=level2).get_json()["id"]
    approve(level3)
    too_deep = submit(post["slug"], "Level four.", parent_id=level3)
    assert too_deep.status_code == 422
    assert "3 levels" in too_deep.get_json()["errors"]["parent_id"][0]


def test_comments_on_drafts_or_missing_posts_are_404(client, publish, submit):
    draft = publish("Draft", status="draft")
    assert submit(draft["slug"]).status_code == 404
    assert submit("no-such-post").status_code == 404
    assert client.get(f"/v1/posts/{draft['slug']}/comments").status_code == 404
    assert client.get("/v1/posts/no-such-post/comments").status_code == 404


def test_body_over_the_request_limit_is_413(client, post):
    huge = {"body": "x" * (1024 * 1024), "author_name": "A", "author_email": "a@example.org"}
    response = client.post(f"/v1/posts/{post['slug']}/comments", json=huge)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_body_longer_than_the_setting_is_422(post, submit, discussion):
    discussion(max_comment_length=20)
    assert submit(post["slug"], "x" * 21).status_code == 422
    assert submit(post["slug"], "x" * 20).status_code == 202


def test_hostile_input_is_refused_cleanly(client, post, submit):
    assert submit(post["slug"], "nul \x00 byte").status_code in (400, 422)
    assert submit(post["slug"], "   ").status_code == 422
    assert submit(post["slug"], parent_id=2**40).status_code == 422
    assert submit(post["slug"], author_name=["not", "text"]).status_code == 422
    assert client.post(f"/v1/posts/{post['slug']}/comments", data="{nope").status_code in (
        400,
        415,
        422,
    )
    assert client.get(f"/v1/comments/{2**40}").status_code == 404


def test_bidi_controls_are_stripped_from_bodies_and_names(client, post, submit):
    name = "Admin\u202e\u2066txt.exe\u2069"
    body = "Looks fine \u202eevil\u202c here; \u200fa right-to-left mark stays."
    sent = submit(post["slug"], body, author_name=name)
    assert sent.status_code == 202
    own = client.get(
        sent.headers["Location"],
        headers={"Authorization": f"Bearer {sent.get_json()['edit_token']}"},
    ).get_json()
    assert own["author_name"] == "Admintxt.exe"
    assert own["body"] == "Looks fine evil here; \u200fa right-to-left mark stays."
    for text in (own["author_name"], own["body"], own["body_html"]):
        assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in text)
