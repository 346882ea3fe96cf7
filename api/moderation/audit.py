"""The moderation log: every decision on a comment, written in the decision's transaction.

Entries are only ever added. A purge deletes comments but not their entries: it adds
one more per comment, `to_status` "purged", by the system actor `purge`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.rows import as_data, continue_ids, from_data
from api.infra.timestamps import utcnow
from api.moderation.models import ModerationLogEntry

PURGED = "purged"
NEWEST_FIRST = (SortKey(ModerationLogEntry.id, True),)


@dataclass(frozen=True)
class SystemActor:
    """A decision no person made: the purge, a link that disappeared."""

    name: str
    token_id: None = None
    role: str = "system"


PURGE = SystemActor("purge")
LINKBACKS = SystemActor("linkbacks")


def record_decision(
    comment,
    actor,
    from_status: str,
    to_status: str,
    *,
    reason: str | None = None,
    batch_id: str | None = None,
) -> ModerationLogEntry:
    """Add the entry to the caller's transaction. `actor` is an api.auth Actor or a
    SystemActor (anything with token_id, name and role)."""
    entry = ModerationLogEntry(
        comment_id=comment.id,
        post_id=comment.post_id,
        actor_token_id=actor.token_id,
        actor_name=actor.name,
        actor_role=str(actor.role),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        batch_id=batch_id,
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def latest_decision(comment_id: int) -> ModerationLogEntry | None:
    return db.session.scalar(
        select(ModerationLogEntry)
        .where(ModerationLogEntry.comment_id == comment_id)
        .order_by(ModerationLogEntry.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class LogFilters:
    comment_id: int | None = None
    batch_id: str | None = None
    actor: str | None = None  # token name


def list_log(
    filters: LogFilters, *, limit: int, cursor: str | None, codec: CursorCodec, count: bool = False
) -> Page:
    """Newest first, keyset on id; each filter has an (x, id) index."""
    query = select(ModerationLogEntry)
    if filters.comment_id is not None:
        query = query.where(ModerationLogEntry.comment_id == filters.comment_id)
    if filters.batch_id is not None:
        query = query.where(ModerationLogEntry.batch_id == filters.batch_id)
    if filters.actor is not None:
        query = query.where(ModerationLogEntry.actor_name == filters.actor)
    return paginate(
        db.session,
        query,
        NEWEST_FIRST,
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda entry: [entry.id],
    )


def export_log() -> Iterator[dict]:
    """The whole moderation log, oldest first (`marginalia export`)."""
    last = 0
    while rows := list(
        db.session.scalars(
            select(ModerationLogEntry)
            .where(ModerationLogEntry.id > last)
            .order_by(ModerationLogEntry.id)
            .limit(500)
        )
    ):
        for row in rows:
            yield as_data(row)
        last = rows[-1].id
        db.session.expunge_all()


def restore_entry(data: dict) -> None:
    db.session.add(from_data(ModerationLogEntry, data))
    db.session.flush()


def restored_log() -> None:
    continue_ids(ModerationLogEntry)


def entries_for(comment_ids: list[int]) -> list[ModerationLogEntry]:
    """The decisions on these comments, oldest first (a commenter's access request)."""
    if not comment_ids:
        return []
    return list(
        db.session.scalars(
            select(ModerationLogEntry)
            .where(ModerationLogEntry.comment_id.in_(comment_ids))
            .order_by(ModerationLogEntry.id)
        )
    )


def scrub_reasons(comment_ids: list[int], erased: list[str]) -> None:
    """A moderator's reason that quotes an erased commenter's data loses it."""
    for entry in entries_for(comment_ids):
        if entry.reason and any(v and v.lower() in entry.reason.lower() for v in erased):
            entry.reason = "(erased)"
