"""Claims: a moderator takes the next pending items for a while, so a team working the
queue at once does not review the same comments twice.

A claim is three columns on the comment (who, whose name, until when), set by a
conditional UPDATE whose WHERE says "pending, and the claim is free (none, expired,
or already the caller's)"; only the rows it returns are the caller's. On PostgreSQL
the candidates are first locked with `SELECT ... FOR UPDATE SKIP LOCKED`, so two
moderators claiming at the same moment lock disjoint rows and each gets a full set.
SQLite runs one writer at a time: a claimer whose candidates were taken meanwhile
gets fewer rows back from its UPDATE and reads again (now holding the write lock).
Deciding an item ends its claim (api/comments/moderation.py); claims never bump the
comment's version or ETag.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from api.auth.policy import Actor
from api.comments import discussion
from api.comments.models import Comment
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.moderation.queue import QueueItem, with_context
from config import Settings

# On SQLite the candidates are read before this transaction writes, so another
# claimer may take some first; the next round reads again, holding the write lock.
ROUNDS = 3


def _free_for(actor: Actor, now: datetime):
    return or_(
        Comment.claim_expires_at.is_(None),
        Comment.claim_expires_at <= now,
        Comment.claim_token_id == actor.token_id,
    )


def claim(actor: Actor, limit: int, settings: Settings) -> tuple[list[QueueItem], datetime]:
    """The oldest pending items not under someone else's live claim, leased to `actor`
    (the caller's own live claims among them are renewed)."""
    now = utcnow()
    lease = discussion.current(settings).claim_lease_seconds
    expires_at = now + timedelta(seconds=lease)
    table = Comment.__table__
    claimed: list[int] = []
    for _ in range(ROUNDS):
        candidates = list(
            db.session.scalars(
                select(Comment.id)
                .where(
                    Comment.status == "pending",
                    _free_for(actor, now),
                    Comment.id.not_in(claimed),
                )
                .order_by(Comment.created_at, Comment.id)
                .limit(limit - len(claimed))
                .with_for_update(skip_locked=True)
            )
        )
        if not candidates:
            break
        claimed += db.session.execute(
            update(table)
            .where(
                table.c.id.in_(candidates),
                # Checked again on the row itself: the claim must still be free.
                Comment.status == "pending",
                _free_for(actor, now),
            )
            .values(
                claim_token_id=actor.token_id,
                claim_token_name=actor.name,
                claim_expires_at=expires_at,
            )
            .returning(table.c.id)
        ).scalars()
        if len(claimed) >= limit:
            break
    db.session.commit()
    rows = db.session.scalars(
        select(Comment)
        .where(Comment.id.in_(claimed))
        .order_by(Comment.created_at, Comment.id)
        .execution_options(populate_existing=True)
    )
    return with_context(list(rows), settings), expires_at


def release(actor: Actor) -> int:
    """End all of the caller's claims; returns how many it held."""
    table = Comment.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.claim_token_id == actor.token_id)
        .values(claim_token_id=None, claim_token_name=None, claim_expires_at=None)
    )
    db.session.commit()
    return result.rowcount
