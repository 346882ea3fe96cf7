"""Claims: a moderator takes the next pending items for a while, so a team working the
queue at once does not review the same comments twice.

A claim is three columns on the comment (who, whose name, until when), set by a
conditional UPDATE whose WHERE says "pending, and the claim is free (none, expired,
or already the caller's)"; only the rows it returns are the caller's (the comments
area does the claiming: api/comments/status.py). Deciding an item ends its claim
(api/moderation/queue.py); claims never bump the comment's version or ETag.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from api.auth.policy import Actor
from api.comments import discussion
from api.comments import status as comments
from api.infra.timestamps import utcnow
from api.moderation.queue import QueueItem, with_context
from config import Settings


def claim(actor: Actor, limit: int, settings: Settings) -> tuple[list[QueueItem], datetime]:
    """The oldest pending items not under someone else's live claim, leased to `actor`
    (the caller's own live claims among them are renewed)."""
    lease = discussion.current(settings).claim_lease_seconds
    expires_at = utcnow() + timedelta(seconds=lease)
    claimed = comments.claim_pending(
        token_id=actor.token_id, name=actor.name, limit=limit, expires_at=expires_at
    )
    return with_context(claimed, settings), expires_at


def release(actor: Actor) -> int:
    """End all of the caller's claims; returns how many it held."""
    return comments.release_claims(actor.token_id)
