"""The public comment (CommentSchema) written by hand for the thread, its hot read.

A 100-comment page through marshmallow cost ~2.4 ms of field machinery; this is the same
dict for a row of reading.PUBLIC_COLUMNS (or an entity). CommentSchema stays the contract
(openapi.yaml), and tests/integration/test_fast_views.py holds the two equal.
"""

from __future__ import annotations

from api.web.fields import rfc3339


def public_comment(comment) -> dict:
    return {
        "id": comment.id,
        "type": comment.type,
        # As CommentSchema's post_dump: whatever is not approved is shown as pending.
        "status": "approved" if comment.status == "approved" else "pending",
        "body_html": comment.body_html,
        "author_name": comment.author_name,
        "author_url": comment.author_url,
        "author_photo": comment.author_photo,
        "mention_type": comment.mention_type,
        "parent_id": comment.parent_id,
        "created_at": rfc3339(comment.created_at),
    }
