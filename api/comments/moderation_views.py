"""A queue item as JSON (ModerationComment), with its ETag.

The ETag is the hash of the item without `claim` (and without itself): a claim is
not a change of the comment, so it must not make a moderator's If-Match stale. The
same value is the `etag` field and the ETag header of the item's GET and PATCH.
"""

from __future__ import annotations

from api.comments.moderation import QueueItem
from api.comments.moderation_schemas import ModerationCommentSchema
from api.conditional import etag_of_data
from api.rendering import plain_text
from api.types import utcnow

EXCERPT_CHARS = 140
_schema = ModerationCommentSchema(exclude=("claim", "etag"))
_claim = ModerationCommentSchema(only=("claim",))


def _excerpt(html: str) -> str:
    text = plain_text(html)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def core_view(item: QueueItem) -> dict:
    comment, post, parent = item.comment, item.post, item.parent
    identity = (
        {"issuer": comment.identity_issuer, "subject": comment.identity_subject}
        if comment.identity_issuer and comment.identity_subject
        else None
    )
    return _schema.dump(
        {
            "id": comment.id,
            "type": comment.type,
            "status": comment.status,
            "post": {"id": post.id, "slug": post.slug, "title": post.title} if post else None,
            "parent_id": comment.parent_id,
            "parent": (
                {
                    "id": parent.id,
                    "author_name": parent.author_name,
                    "excerpt": _excerpt(parent.body_html),
                }
                if parent
                else None
            ),
            "author_name": comment.author_name,
            "author_email": comment.author_email,
            "author_url": comment.author_url,
            "identity": identity,
            "ip_address": comment.ip_address,
            "user_agent": comment.user_agent,
            "body": comment.body,
            "body_html": comment.body_html,
            "source_url": comment.source_url,
            "source_title": comment.source_title,
            "reasons": list(comment.reasons or []),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
        }
    )


def item_view(item: QueueItem) -> dict:
    body = core_view(item)
    etag = etag_of_data(body)
    comment = item.comment
    live = comment.claim_expires_at is not None and comment.claim_expires_at > utcnow()
    claim = (
        {"token_name": comment.claim_token_name, "expires_at": comment.claim_expires_at}
        if live
        else None
    )
    body["claim"] = _claim.dump({"claim": claim})["claim"]
    body["etag"] = f'"{etag}"'
    return body
