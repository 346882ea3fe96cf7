"""The queue: what moderators see, and one decision at a time."""

from datetime import UTC, datetime

from sqlalchemy import update

from api.comments.models import Comment
from api.comments.services import add_pingback
from api.infra.database import db
from tests.comments.helpers import new_ip
from tests.moderation.helpers import decide


def queue(client, headers, query: str = "") -> dict:
    response = client.get(f"/v1/moderation/comments{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]


def backdate(comment_id: int, when: datetime) -> None:
    db.session.execute(update(Comment).where(Comment.id == comment_id).values(created_at=when))
    db.session.commit()


def public_ids(client, slug: str) -> list[int]:
    return [c["id"] for c in client.get(f"/v1/posts/{slug}/comments").get_json()["items"]]


def test_pending_comments_come_oldest_first_with_what_a_moderator_needs(
    client, moderator, pending, post
):
    first, second, third = pending(3)
    page = queue(client, moderator)
    assert ids(page) == [first, second, third]
    item = page["items"][0]
    assert item["status"] == "pending" and item["type"] == "comment"
    assert item["post"] == {"id": post["id"], "slug": post["slug"], "title": post["title"]}
    assert item["author_email"].endswith("@example.org")
    assert item["ip_address"].startswith("10.")
    assert item["user_agent"] == "TestBrowser/1.0"
    assert item["body"] == "Remark number 0." and item["body_html"].startswith(
        "<p>Remark number 0.</p>"
    )
    assert item["reasons"][-1]["rule"] == "new_author"
    assert item["identity"] is None and item["parent"] is None and item["claim"] is None
    single = client.get(f"/v1/moderation/comments/{first}", headers=moderator)
    assert single.headers["ETag"] == item["etag"]
    assert single.get_json() == item
    assert single.headers["Cache-Control"] == "private, no-store"

    assert ids(queue(client, moderator, "?order=newest")) == [third, second, first]
    page = queue(client, moderator, "?limit=2")
    assert ids(page) == [first, second]
    assert ids(queue(client, moderator, "")) == [*ids(page), third]
    rest = client.get(page["next"], headers=moderator).get_json()
    assert ids(rest) == [third] and rest["next"] is None
    newest = queue(client, moderator, "?order=newest&limit=2")
    assert ids(client.get(newest["next"], headers=moderator).get_json()) == [first]


def test_filters_by_status_post_type_reason_and_age(
    client, moderator, pending, publish, comment, post, in_app, in_unit_of_work
):
    held, other = pending(2)
    second_post = publish("Another post")
    elsewhere = comment("Elsewhere.", slug=second_post["slug"])["id"]
    linky = comment("See http://a.example http://b.example http://c.example")["id"]
    ping = in_unit_of_work(
        lambda: (
            add_pingback(
                post_id=post["id"],
                source_url="https://other.example/post",
                source_title="Other",
                excerpt_html="<p>[…] linked […]</p>",
                status="pending",
            )[0].id
        )
    )
    assert decide(client, moderator, other, "spam").status_code == 200

    assert ids(queue(client, moderator, "?status=spam")) == [other]
    assert ids(queue(client, moderator, f"?post={second_post['slug']}")) == [elsewhere]
    assert ids(queue(client, moderator, "?type=pingback")) == [ping]
    assert ids(queue(client, moderator, "?type=comment")) == [held, elsewhere, linky]
    assert ids(queue(client, moderator, "?reason=too_many_links")) == [linky]
    in_app(backdate, held, datetime(2020, 1, 1, tzinfo=UTC))
    assert ids(queue(client, moderator, "?before=2021-01-01T00:00:00Z")) == [held]
    assert ids(queue(client, moderator, "?after=2021-01-01T00:00:00Z")) == [
        elsewhere,
        linky,
        ping,
    ]

    unknown = client.get("/v1/moderation/comments?post=no-such-post", headers=moderator)
    assert unknown.status_code == 422 and "post" in unknown.get_json()["errors"]
    typo = client.get("/v1/moderation/comments?stauts=spam", headers=moderator)
    assert typo.status_code == 422 and "stauts" in typo.get_json()["errors"]


def test_a_reply_shows_its_parent(client, moderator, pending, comment, post):
    [parent] = pending(1)
    long_text = "Word " * 60
    client.patch(
        f"/v1/moderation/comments/{parent}", json={"status": "approved"}, headers=moderator
    )
    reply = comment(long_text, parent_id=parent)["id"]
    item = client.get(f"/v1/moderation/comments/{reply}", headers=moderator).get_json()
    assert item["parent_id"] == parent
    assert item["parent"]["id"] == parent
    assert item["parent"]["excerpt"] == "Remark number 0."


def test_approving_publishes_counts_logs_and_records_the_event(
    client, moderator, pending, post, events
):
    [comment_id] = pending(1)
    assert public_ids(client, post["slug"]) == []
    response = decide(client, moderator, comment_id, "approved", reason="Looks fine")
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"
    assert response.headers["ETag"] == response.get_json()["etag"]
    assert public_ids(client, post["slug"]) == [comment_id]
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"] == 1

    [(_kind, data)] = events("comment.approved")
    assert data["from"] == "pending" and data["to"] == "approved"
    assert data["comment"]["id"] == comment_id
    private = ("author_email", "ip_address", "user_agent", "identity_subject", "reason")
    assert not any(key in data["comment"] or key in data for key in private)

    [entry] = client.get("/v1/moderation/log", headers=moderator).get_json()["items"]
    assert entry["comment_id"] == comment_id
    assert entry["actor"]["name"] == "Mo" and entry["actor"]["role"] == "moderator"
    assert (entry["from_status"], entry["to_status"]) == ("pending", "approved")
    assert entry["reason"] == "Looks fine" and entry["batch_id"] is None


def test_a_stale_if_match_is_412_and_a_fresh_one_goes_through(
    client, moderator, other_moderator, pending
):
    [comment_id] = pending(1)
    etag = client.get(f"/v1/moderation/comments/{comment_id}", headers=moderator).headers["ETag"]
    assert decide(client, other_moderator, comment_id, "approved").status_code == 200
    stale = client.patch(
        f"/v1/moderation/comments/{comment_id}",
        json={"status": "trash"},
        headers={**moderator, "If-Match": etag},
    )
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    fresh = client.get(f"/v1/moderation/comments/{comment_id}", headers=moderator)
    ok = client.patch(
        f"/v1/moderation/comments/{comment_id}",
        json={"status": "trash"},
        headers={**moderator, "If-Match": fresh.headers["ETag"]},
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "trash"


def test_an_illegal_transition_is_409_with_the_reason(client, moderator, pending, events):
    [comment_id] = pending(1)
    decide(client, moderator, comment_id, "spam")
    response = decide(client, moderator, comment_id, "approved")
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["detail"] == "A spam comment can only become pending or trash, not approved."
    again = decide(client, moderator, comment_id, "spam")
    assert again.status_code == 409 and again.get_json()["detail"] == "The comment is already spam."
    assert len(events("comment.spammed")) == 1
    assert decide(client, moderator, 999_999, "approved").status_code == 404
    assert decide(client, moderator, comment_id, "published").status_code == 422


def test_public_reads_show_only_approved_comments_before_and_after_each_decision(
    client, moderator, pending, post
):
    [comment_id] = pending(1)
    path = [
        "approved",
        "pending",
        "approved",
        "spam",
        "pending",
        "trash",
        "pending",
        "approved",
        "trash",
    ]
    for status in path:
        response = decide(client, moderator, comment_id, status)
        assert response.status_code == 200, (status, response.get_json())
        visible = status == "approved"
        assert public_ids(client, post["slug"]) == ([comment_id] if visible else [])
        single = client.get(f"/v1/comments/{comment_id}")
        assert single.status_code == (200 if visible else 404)
        count = client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"]
        assert count == (1 if visible else 0)
    log = client.get(f"/v1/moderation/log?comment_id={comment_id}", headers=moderator)
    entries = log.get_json()["items"]
    assert [e["to_status"] for e in reversed(entries)] == path
    assert all(e["actor"]["name"] == "Mo" for e in entries)


def test_approving_an_author_lets_their_next_comment_through(
    client, moderator, admin, post, pending
):
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    payload = {"author_name": "Ann", "author_email": "ann@example.org"}
    first = client.post(
        f"/v1/posts/{post['slug']}/comments",
        json={**payload, "body": "First."},
        environ_base={"REMOTE_ADDR": new_ip()},
    ).get_json()
    assert first["status"] == "pending"
    decide(client, moderator, first["id"], "approved")
    second = client.post(
        f"/v1/posts/{post['slug']}/comments",
        json={**payload, "body": "Second."},
        environ_base={"REMOTE_ADDR": new_ip()},
    ).get_json()
    assert second["status"] == "approved"


def test_marking_spam_can_block_the_author(client, moderator, admin, post, comment, stored_ip):
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    spam = comment("Buy now.", author_email="bot@spam.example")
    ip = stored_ip(spam["id"])
    response = decide(client, moderator, spam["id"], "spam", block_author=True)
    assert response.status_code == 200
    settings = client.get("/v1/settings/discussion", headers=admin).get_json()
    assert "bot@spam.example" in settings["disallowed_keys"]
    assert ip in settings["disallowed_keys"]
    again = comment("Buy again.", author_email="bot@spam.example")
    item = client.get(f"/v1/moderation/comments/{again['id']}", headers=moderator).get_json()
    assert item["status"] == "spam"
    assert item["reasons"][0]["rule"] == "disallowed_key"

    refused = decide(client, moderator, again["id"], "trash", block_author=True)
    assert refused.status_code == 422 and "block_author" in refused.get_json()["errors"]


def test_only_moderators_and_admins_moderate(client, make_token, admin, author, pending):
    [comment_id] = pending(1)
    for role, expected in (("editor", 403), ("moderator", 200), ("admin", 200)):
        headers = {"Authorization": f"Bearer {make_token(role)}"}
        assert client.get("/v1/moderation/counts", headers=headers).status_code == expected
    author_token = make_token("author", author=author["slug"])
    headers = {"Authorization": f"Bearer {author_token}"}
    assert decide(client, headers, comment_id, "approved").status_code == 403
    assert client.get("/v1/moderation/comments").status_code == 401
