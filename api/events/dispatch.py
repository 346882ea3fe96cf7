"""Reacting to recorded events, in order, once per consumer.

Each consumer (webhook fan-out, linkbacks, ...) keeps the id of the last event it
handled in `event_cursors`. Handling an event and moving the cursor commit together,
so a crash replays at most the event in hand; handlers must be idempotent anyway.
Handlers only write rows and queue work: nothing goes over the network here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from api.events.models import Event, EventCursor
from api.events.services import type_matches
from api.extensions import db

log = logging.getLogger(__name__)
Handler = Callable[[Event], None]
_consumers: dict[str, tuple[list[str], Handler]] = {}


def consumer(name: str, patterns: list[str]):
    """Register `handler` to see every event whose type matches `patterns`."""

    def decorator(handler: Handler) -> Handler:
        _consumers[name] = (patterns, handler)
        return handler

    return decorator


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
    cursor = session.scalar(
        select(EventCursor).where(EventCursor.name == name).with_for_update(skip_locked=True)
    )
    if cursor is None:
        if session.get(EventCursor, name) is not None:
            session.rollback()
            return 0  # another worker holds this consumer right now
        cursor = EventCursor(name=name, last_event_id=0)
        session.add(cursor)
        session.commit()
        return _advance(name, patterns, handler, batch)
    events = list(
        session.scalars(
            select(Event).where(Event.id > cursor.last_event_id).order_by(Event.id).limit(batch)
        )
    )
    # Detached, the batch is not expired (and reloaded one by one) by each commit below.
    for loaded in events:
        session.expunge(loaded)
    for event in events:
        if type_matches(event.type, patterns):
            handler(event)
        cursor.last_event_id = event.id
        session.commit()
        cursor = session.scalar(
            select(EventCursor).where(EventCursor.name == name).with_for_update()
        )
    session.commit()
    return len(events)
