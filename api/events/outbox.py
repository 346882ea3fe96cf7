"""Recording events in the caller's transaction, and reading them back in order."""

from __future__ import annotations

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session

from api.events.models import Event
from api.infra.database import db
from api.infra.timestamps import utcnow

# Any constant works; it names the lock that orders event ids by commit (see below).
_EVENT_ORDER_LOCK = 0x6D61_7267
_STAGED = "events_to_record"
_ORDER_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def record_event(event_type: str, data: dict) -> None:
    """Add an event to the current transaction; it commits or rolls back with the change.

    On PostgreSQL, ids come from a sequence and concurrent transactions may commit out
    of id order, so a feed reader paging by id could skip one. Holding a transaction
    lock from the event's insert to the commit makes id order equal commit order. The
    insert therefore waits for the commit (a before-commit hook): every writer queues
    on that lock only for the last statements and the commit itself, not for the whole
    of its work. On SQLite the same keeps the database's one write lock short.
    """
    db.session().info.setdefault(_STAGED, []).append((event_type, data, utcnow()))


def record_event_now(event_type: str, data: dict) -> Event:
    """Insert an event at once, for a caller that needs its id before committing (it
    holds the ordering lock from here to the commit)."""
    recorded = Event(type=event_type, data=data, occurred_at=utcnow())
    session = db.session()
    _take_order_lock(session)
    session.add(recorded)
    session.flush()
    return recorded


def _take_order_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ORDER_LOCK, {"key": _EVENT_ORDER_LOCK})


def _insert_staged_events(session: Session) -> None:
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return
    session.flush()  # the changes themselves first, outside the lock
    rows = [{"type": kind, "data": data, "occurred_at": at} for kind, data, at in staged]
    _take_order_lock(session)
    session.execute(insert(Event), rows)


def after_commit(callback) -> None:
    """Run `callback` once the current transaction has committed (dropped on rollback).

    Used to queue work that reacts to what was just written, never before it is durable.
    """
    db.session.info.setdefault("after_commit", []).append(callback)


def install_session_hooks() -> None:
    if event.contains(Session, "after_commit", _run_after_commit):
        return
    # First of the before-commit hooks: the status counts (api/comments) are written
    # after the events, so every transaction takes its locks in the same order.
    event.listen(Session, "before_commit", _insert_staged_events, insert=True)
    event.listen(Session, "after_commit", _run_after_commit)
    event.listen(Session, "after_rollback", _forget)


def _run_after_commit(session) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


def _forget(session) -> None:
    session.info.pop(_STAGED, None)
    session.info.pop("after_commit", None)
