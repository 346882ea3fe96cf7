"""Reacting to recorded events, in order, once per consumer.

Each consumer (webhook fan-out, linkbacks, ...) keeps the id of the last event it
handled in `event_cursors`. A batch of events and the cursor's move commit together
(one commit per batch, not per event: under a burst of comments the dispatcher would
otherwise write as often as the intake), so a crash replays at most one batch, and
handlers must be idempotent. When a handler fails, the batch is rolled back and
redone one event at a time: the events before the failing one commit, and the failing
one is retried on the next run. Handlers only write rows and queue work: nothing goes
over the network here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from api.events.feed import type_matches
from api.events.models import Event, EventCursor
from api.infra.database import db

log = logging.getLogger(__name__)
Handler = Callable[[Event], None]
_consumers: dict[str, tuple[list[str], Handler]] = {}


def consumer(name: str, patterns: list[str]):
    """Register `handler` to see every event whose type matches `patterns`."""

    def decorator(handler: Handler) -> Handler:
        _consumers[name] = (patterns, handler)
        return handler

    return decorator


def consumer_names() -> list[str]:
    return list(_consumers)


def dispatch_pending(batch: int = 500) -> int:
    """Feed each consumer the events it has not seen; returns how many were handled."""
    handled = 0
    for name, (patterns, handler) in list(_consumers.items()):
        try:
            handled += _advance(name, patterns, handler, batch)
        except Exception:
            # One failing consumer must not hold the others up; it retries the same
            # event on the next run because its cursor did not move.
            db.session.rollback()
            log.exception("event consumer %s failed; will retry", name)
    return handled


def _advance(name: str, patterns: list[str], handler: Handler, batch: int) -> int:
    session = db.session
    cursor = _locked_cursor(name)
    if cursor is None:
        return 0  # another worker holds this consumer right now
    events = _events_after(cursor.last_event_id, batch)
    try:
        for event in events:
            if type_matches(event.type, patterns):
                handler(event)
            cursor.last_event_id = event.id
        session.commit()
    except Exception:
        session.rollback()
        log.warning("event consumer %s failed in a batch; redoing it one by one", name)
        return _advance_one_by_one(name, patterns, handler, events)
    return len(events)


def _advance_one_by_one(name: str, patterns: list[str], handler: Handler, events) -> int:
    """The batch again, one commit per event, so the events before a failing one land."""
    session = db.session
    done = 0
    for event in events:
        cursor = _locked_cursor(name)
        if cursor is None or cursor.last_event_id >= event.id:
            session.rollback()
            continue  # another worker got here first
        if type_matches(event.type, patterns):
            handler(event)  # a failure propagates: the cursor stays before this event
        cursor.last_event_id = event.id
        session.commit()
        done += 1
    return done


def _locked_cursor(name: str) -> EventCursor | None:
    session = db.session
    cursor = session.scalar(
        select(EventCursor).where(EventCursor.name == name).with_for_update(skip_locked=True)
    )
    if cursor is not None:
        return cursor
    if session.get(EventCursor, name) is not None:
        session.rollback()
        return None
    session.add(EventCursor(name=name, last_event_id=0))
    session.commit()
    return _locked_cursor(name)


def _events_after(last_event_id: int, batch: int) -> list[Event]:
    session = db.session
    events = list(
        session.scalars(
            select(Event).where(Event.id > last_event_id).order_by(Event.id).limit(batch)
        )
    )
    # Detached, the batch is not expired (and reloaded one by one) by a commit.
    for loaded in events:
        session.expunge(loaded)
    return events
