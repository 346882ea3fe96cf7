"""The demo post comes with a discussion: approved comments, a reply, one held back."""

from __future__ import annotations

from api.demo.loader import POST_SLUG, load_demo
from api.infra.database import db


def test_demo_post_has_approved_comments_a_reply_and_a_pending_one(app, client, all_comments):
    with app.app_context():
        assert load_demo() is True
        db.session.remove()
    public = client.get(f"/v1/posts/{POST_SLUG}/comments").get_json()["items"]
    comments = [item for item in public if item["type"] == "comment"]
    assert len(comments) == 2
    top, reply = comments
    assert reply["parent_id"] == top["id"]
    assert "<em>network sovereignty</em>" in top["body_html"]
    assert client.get(f"/v1/posts/{POST_SLUG}").get_json()["comment_count"] >= 2
    statuses = sorted(c.status for c in all_comments() if c.type == "comment")
    assert statuses == ["approved", "approved", "pending"]
