"""The queue's item view (ModerationCommentSchema's dump, compiled) gives what the
schema itself dumps.

Each item's ETag is the hash of its JSON, so a moderator's If-Match depends on every
byte of it: the fast view and the schema must agree on keys, order and values.
"""

from __future__ import annotations

from sqlalchemy import update

from api.comments.models import Comment
from api.infra.database import db
from api.moderation import queue as moderation
from api.moderation.schemas import ModerationCommentSchema
from api.moderation.views import core_view, schema_view
from api.web.conditional import etag_of_data

_claim = ModerationCommentSchema(only=("claim",))


def test_queue_items_equal_the_schema_dump(app, client, moderator, post, comment, pending):
    first = comment("Un premier mot — ☃ *emphase*")
    comment("Une réponse", parent_id=None)
    ids = pending(3)
    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == ids[0])
            .values(identity_issuer="https://id.example", identity_subject="sub-1")
        )
        # Reasons as no rule writes them: a missing key, a number, a null, an extra key,
        # not a dict at all. The schema drops and converts; the view must do the same.
        db.session.execute(
            update(Comment)
            .where(Comment.id == ids[1])
            .values(
                reasons=[
                    {"rule": "imported"},
                    {"rule": 7, "verdict": None, "reason": "x", "extra": "dropped"},
                    "just text",
                ]
            )
        )
        db.session.execute(
            update(Comment)
            .where(Comment.id == ids[2])
            .values(parent_id=first["id"], source_url=None, user_agent=None)
        )
        db.session.commit()
        db.session.remove()
    claimed = client.post("/v1/moderation/claims", json={"limit": 2}, headers=moderator)
    assert claimed.status_code == 200, claimed.get_json()

    response = client.get("/v1/moderation/comments?limit=3", headers=moderator)
    items = response.get_json()["items"]
    seen = list(items)
    while response.get_json()["next"]:
        response = client.get(response.get_json()["next"], headers=moderator)
        seen += response.get_json()["items"]
    assert len(seen) == 5

    with app.app_context():
        settings = app.config["MARGINALIA"]
        for shown in seen:
            item = moderation.get_item(shown["id"], settings)
            expected = schema_view(item)
            assert core_view(item) == expected
            assert app.json.dumps(core_view(item)) == app.json.dumps(expected)
            comment_row = item.comment
            claim = (
                {
                    "token_name": comment_row.claim_token_name,
                    "expires_at": comment_row.claim_expires_at,
                }
                if comment_row.claim_token_name
                else None
            )
            whole = {
                **expected,
                "claim": _claim.dump({"claim": claim})["claim"],
                "etag": f'"{etag_of_data(expected)}"',
            }
            # Key order too: JSON objects parse into dicts in document order.
            assert list(shown.items()) == list(whole.items())
        db.session.remove()
    single = client.get(f"/v1/moderation/comments/{ids[1]}", headers=moderator)
    assert single.headers["ETag"] == single.get_json()["etag"]
    assert [r for r in single.get_json()["reasons"]] == [
        {"rule": "imported"},
        {"rule": "7", "verdict": None, "reason": "x"},
        {},
    ]
