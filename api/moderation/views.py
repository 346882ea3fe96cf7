"""A queue item as JSON (ModerationComment), with its ETag.

The ETag is the hash of the item without `claim` (and without itself): a claim is
not a change of the comment, so it must not make a moderator's If-Match stale. The
same value is the `etag` field and the ETag header of the item's GET and PATCH.
"""

from __future__ import annotations

from api.infra.timestamps import utcnow
from api.moderation.queue import QueueItem
from api.moderation.schemas import ClaimSchema, ModerationCommentSchema
from api.rendering import plain_text
from api.web.conditional import etag_of_data
from api.web.dumpers import compile_dumper

EXCERPT_CHARS = 140
_schema = ModerationCommentSchema(exclude=("claim", "etag"))
_dump = compile_dumper(_schema)
_claim = compile_dumper(ClaimSchema())


def _excerpt(html: str) -> str:
    text = plain_text(html)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def core_view(item: QueueItem) -> dict:
    """ModerationCommentSchema's dump without claim and etag (compiled, api/web/dumpers.py)."""
    return _dump(_fields(item))


def schema_view(item: QueueItem) -> dict:
    """The same through marshmallow: the reference tests hold core_view to."""
    return _schema.dump(_fields(item))


def _fields(item: QueueItem) -> dict:
    comment, post, parent = item.comment, item.post, item.parent
    return {
        "id": comment.id,
        "type": comment.type,
        "mention_type": comment.mention_type,
        "author_photo": comment.author_photo,
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
        "identity": _identity(comment),
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


def _identity(comment) -> dict | None:
    if comment.identity_issuer and comment.identity_subject:
        return {"issuer": comment.identity_issuer, "subject": comment.identity_subject}
    return None


def item_view(item: QueueItem) -> dict:
    body = core_view(item)
    etag = etag_of_data(body)
    comment = item.comment
    live = comment.claim_expires_at is not None and comment.claim_expires_at > utcnow()
    claim = {"token_name": comment.claim_token_name, "expires_at": comment.claim_expires_at}
    body["claim"] = _claim(claim) if live else None
    body["etag"] = f'"{etag}"'
    return body
