"""Purge: spam and trash are deleted once they have been spam or trash for the
discussion settings' days (`purge_spam_days`, default 15; `purge_trash_days`, 30).

Run hourly by the worker (api/moderation/tasks.py) and by `marginalia purge`. It deletes
in batches, one unit of work each: the comments go, the status counts follow, and each
comment gets a last moderation-log entry, `to_status` "purged" by the system actor
`purge` (so the log keeps the trail of comments that no longer exist). Replies to a
purged comment stay, with no parent. Time in the status is `updated_at`, which every
status change sets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert

from api.comments import discussion
from api.comments import status as comments
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import unit_of_work
from api.moderation import audit
from api.moderation.models import ModerationLogEntry
from config import Settings

BATCH = 500
PURGEABLE = ("spam", "trash")


def cutoffs(settings: Settings, now: datetime | None = None) -> dict[str, datetime]:
    """For each purgeable status, the time before which it is deleted."""
    tuning = discussion.current(settings)
    now = now or utcnow()
    return {
        "spam": now - timedelta(days=tuning.purge_spam_days),
        "trash": now - timedelta(days=tuning.purge_trash_days),
    }


def due(settings: Settings, now: datetime | None = None) -> int:
    """How many comments a purge would delete now (for a progress bar)."""
    return sum(
        comments.count_older(status, cutoff) for status, cutoff in cutoffs(settings, now).items()
    )


def purge(
    settings: Settings,
    *,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> int:
    """Delete what is due, batch by batch, one unit of work each; returns how many
    comments went."""
    total = 0
    for status, cutoff in cutoffs(settings, now).items():
        while True:
            with unit_of_work():
                deleted = purge_batch(status, cutoff, batch)
            total += deleted
            if progress and deleted:
                progress(deleted)
            if deleted < batch:
                break
    return total


def purge_batch(status: str, cutoff: datetime, size: int) -> int:
    """Up to `size` comments of `status` older than `cutoff`, each with its last entry
    in the log."""
    gone = comments.delete_older(status, cutoff, size)
    if not gone:
        return 0
    now = utcnow()
    actor = audit.PURGE
    db.session.execute(
        insert(ModerationLogEntry),
        [
            {
                "comment_id": comment_id,
                "post_id": post_id,
                "actor_token_id": actor.token_id,
                "actor_name": actor.name,
                "actor_role": actor.role,
                "from_status": status,
                "to_status": audit.PURGED,
                "reason": f"{status} older than the purge period",
                "batch_id": None,
                "created_at": now,
            }
            for comment_id, post_id in gone
        ],
    )
    return len(gone)
