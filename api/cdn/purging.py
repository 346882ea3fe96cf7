"""Outbox-driven purges: every event with cache keys becomes a purge, sent at least once.

The cdn area's handler of every event (api/wiring.py): the dispatcher runs it in event
order, in its unit of work, so the purge row commits with the consumer's cursor (the
unique event id makes a replay a no-op). The worker then sends what is due through the
configured purgers (api/cdn/purgers.py, all HTTP through the guarded outbound client),
outside any transaction, and records the outcome on each row: done, retried later on a
network error, 429 or 5xx, or failed (a refusal no retry can fix, or the retries ran
out). Staff read the log at GET /v1/cdn/purges. Due purges go out together: their keys
in as few requests as each purger allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from api.cdn.models import CdnPurge
from api.cdn.purgers import CombinedPurger, purger_from_settings
from api.infra.database import db, insert_new_rows
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.queue import enqueue_after_commit
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import unit_of_work

# Seconds before each retry; after the last one a purge is `failed`.
RETRY_SCHEDULE = (2, 10, 60, 300, 1800, 3600)
BATCH = 200
LOG_RETENTION = timedelta(days=30)
_PURGER = "marginalia.cdn_purger"


def purger_of(app) -> CombinedPurger:
    """The app's purgers (one set per process; empty and falsy when none is configured)."""
    purger = app.extensions.get(_PURGER)
    if purger is None:
        purger = app.extensions[_PURGER] = purger_from_settings(app.config["MARGINALIA"])
    return purger


def purger_configured() -> bool:
    """Whether a purge could be sent at all (no CDN or Varnish: nothing to do per event)."""
    return bool(purger_of(current_app))


def on_event(event) -> None:
    """Queue a purge of the event's keys, when it has some and a purger is configured."""
    if not event.cache_keys or not purger_configured():
        return
    now = utcnow()
    row = {
        "event_id": event.id,
        "event_type": event.type,
        "keys": event.cache_keys,
        "status": "pending",
        "attempt_count": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert_new_rows(CdnPurge.__table__, row, unique=["event_id"])
    enqueue_after_commit("purge_cdn")


@dataclass(frozen=True)
class DrainReport:
    attempts: int  # purge rows tried
    wake_at: datetime | None  # the next retry due, if any


def drain(limit: int = BATCH) -> DrainReport:
    """Send every due purge (one combined purge of their keys), record the outcome."""
    purger = purger_of(current_app)
    if not purger:
        return DrainReport(0, None)
    with unit_of_work():
        due = db.session.execute(
            select(CdnPurge.id, CdnPurge.keys, CdnPurge.attempt_count)
            .where(CdnPurge.status == "pending", CdnPurge.next_attempt_at <= utcnow())
            .order_by(CdnPurge.id)
            .limit(limit)
        ).all()
    # The transaction is over: nothing is held while the purge goes over the network.
    if due:
        keys = list(dict.fromkeys(key for row in due for key in row.keys.split()))
        result = purger.purge(keys)
        _record(due, result)
    return DrainReport(len(due), _next_due())


def _record(due, result) -> None:
    now = utcnow()
    line = result.describe()[:2000]
    with unit_of_work():
        for row in due:
            attempts = row.attempt_count + 1
            values = {"attempt_count": attempts, "last_attempt_at": now, "last_result": line}
            if result.ok:
                values.update(status="done", next_attempt_at=None, completed_at=now)
            elif result.retryable and attempts <= len(RETRY_SCHEDULE):
                values["next_attempt_at"] = now + timedelta(seconds=RETRY_SCHEDULE[attempts - 1])
            else:
                values.update(status="failed", next_attempt_at=None, completed_at=now)
            db.session.execute(
                update(CdnPurge)
                .where(CdnPurge.id == row.id, CdnPurge.status == "pending")
                .values(**values)
            )


def _next_due() -> datetime | None:
    with unit_of_work():
        return db.session.scalar(
            select(func.min(CdnPurge.next_attempt_at)).where(CdnPurge.status == "pending")
        )


def list_purges(
    status: str | None, *, limit: int, cursor: str | None, codec: CursorCodec, count: bool = False
) -> Page:
    """The purge log, newest event first."""
    query = select(CdnPurge)
    if status:
        query = query.where(CdnPurge.status == status)
    return paginate(
        db.session,
        query,
        [SortKey(CdnPurge.id, descending=True)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda purge: [purge.id],
    )


def forget_old() -> int:
    """Drop finished purges older than the retention period."""
    with unit_of_work():
        gone = db.session.execute(
            delete(CdnPurge).where(
                CdnPurge.status != "pending", CdnPurge.completed_at < utcnow() - LOG_RETENTION
            )
        )
    return gone.rowcount or 0
