"""Reacting to recorded events: in the recording transaction, or after it, in order.

Two kinds of handler, both named in the wiring table (api/wiring.py):

* A `Reaction` runs inside the unit of work that records the event, when it is
  recorded: for what must be true in the same transaction (a deleted post's comments go
  with it, keeping the comment counts exact).
* A `Subscription` runs later, in the worker: the dispatcher feeds each consumer (webhook
  fan-out, linkbacks, ...) the events it has not seen, in event order. Each consumer
  keeps the id of the last event it handled in `event_cursors`. A batch of events and
  the cursor's move commit together in one unit of work, whatever the handlers write:
  a crash replays at most one batch, so handlers must be idempotent. When a handler
  fails, the batch is rolled back (its rows and the cursor together) and redone one
  event at a time: the events before the failing one commit, and the failing one is
  retried on the next run. Handlers only write rows and queue work after the commit:
  nothing goes over the network here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import defer

from api.errors import Conflict
from api.events.catalogue import EventType
from api.events.feed import feed_query, latest_event_id
from api.events.models import Event, EventCursor
from api.infra.database import db, insert_new_rows
from api.infra.unit_of_work import unit_of_work

log = logging.getLogger(__name__)
Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Reaction:
    """`handler(data)` runs in the transaction that records `event_type`."""

    event_type: EventType
    handler: Callable[[dict], None]


@dataclass(frozen=True)
class Subscription:
    """`handler(event)` runs in the worker for every event of `event_types` (all when
    None), in order, once per `consumer` (the name of its cursor)."""

    consumer: str
    event_types: tuple[EventType, ...] | None
    handler: Handler
    # Only the events this condition holds for (in SQL), of those types.
    where: ColumnElement[bool] | None = None
    # False: the handler reads no `event.data` (not decoded; read if touched after all).
    reads_data: bool = True
    # When this says False the handler would do nothing with any event (nothing is
    # configured for it: no SMTP server, no webhook endpoint): the cursor moves past the
    # new events without reading them (`_move_past_if_unneeded`).
    needed: Callable[[], bool] | None = None

    @property
    def patterns(self) -> list[str]:
        if self.event_types is None:
            return ["*"]
        return [event_type.name for event_type in self.event_types]


class Dispatcher:
    def __init__(self, subscriptions: tuple[Subscription, ...]):
        self.subscriptions = subscriptions

    @property
    def consumer_names(self) -> list[str]:
        return [subscription.consumer for subscription in self.subscriptions]

    def dispatch_pending(self, batch: int = 500) -> int:
        """Feed each consumer the events it has not seen; returns how many were handled."""
        handled = 0
        try:
            unneeded = _move_past_if_unneeded(
                [subscription for subscription in self.subscriptions if subscription.needed]
            )
        except Exception:
            # Then each consumer runs as if needed (its handler finds nothing to do).
            log.exception("event consumers: moving the idle ones failed; running each")
            unneeded = set()
        for subscription in self.subscriptions:
            if subscription.consumer in unneeded:
                continue
            try:
                handled += _advance(subscription, batch)
            except Exception:
                # One failing consumer must not hold the others up; it retries the same
                # event on the next run because its cursor did not move.
                log.exception("event consumer %s failed; will retry", subscription.consumer)
        return handled


def _move_past_if_unneeded(subscriptions: list[Subscription]) -> set[str]:
    """The consumers with nothing configured, their cursors moved to the latest event
    together, in one unit of work (not one each: it runs a few times a second).

    The latest id is read before asking, so an event recorded after what a consumer
    depends on (the first webhook endpoint) is never stepped over. A cursor only moves
    forward: another worker that found the consumer needed may hold it meanwhile. A
    consumer without a cursor gets one at the latest event, not at the first: turning
    it on later starts from then, not with the whole history."""
    if not subscriptions:
        return set()
    with unit_of_work():
        latest = latest_event_id()
        unneeded = {s.consumer for s in subscriptions if not s.needed()}
        if unneeded:
            moved = db.session.execute(
                update(EventCursor)
                .where(EventCursor.name.in_(unneeded), EventCursor.last_event_id < latest)
                .values(last_event_id=latest)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount < len(unneeded):
                rows = [{"name": name, "last_event_id": latest} for name in sorted(unneeded)]
                insert_new_rows(EventCursor.__table__, rows, unique=["name"])
    return unneeded


def _advance(subscription: Subscription, batch: int) -> int:
    handling: list[bool] = []
    try:
        handled = _advance_batch(subscription, batch, handling)
    except Exception:
        if not handling:
            raise  # refused before any handler ran (no table yet, no database): no redo
        log.warning(
            "event consumer %s failed in a batch; redoing it one by one",
            subscription.consumer,
            exc_info=True,
        )
        return _advance_one_by_one(subscription, batch)
    if handled is None:  # no cursor yet: looked for only then (the watcher runs often)
        return _advance(subscription, batch) if _ensure_cursor(subscription.consumer) else 0
    return handled


def _advance_batch(subscription: Subscription, batch: int, handling: list[bool]) -> int | None:
    """One batch and the cursor's move in one unit of work: how many events were
    handled, or None when the consumer has no cursor yet. `handling` gets an entry once
    the handlers start (a failure from then on is redone one event at a time)."""
    with unit_of_work():
        cursor = _locked_cursor(subscription.consumer)
        if cursor is None:
            if db.session.get(EventCursor, subscription.consumer) is None:
                return None
            return 0  # another worker holds this consumer right now
        events, read_to = _events_after(cursor.last_event_id, batch, subscription)
        handling.append(True)
        for event in events:
            subscription.handler(event)
        if read_to > cursor.last_event_id:
            # Moved once, after the handlers: a cursor moved per event was flushed by
            # the next handler's first query, and on SQLite that took the database's
            # write lock for the rest of the batch (measured: up to 1 s, every
            # comment's intake waiting behind it).
            cursor.last_event_id = read_to
    return len(events)


def _advance_one_by_one(subscription: Subscription, batch: int) -> int:
    """The batch again, one unit of work per event, so the events before a failing one
    land; the failure propagates and the cursor stays before the failing event."""
    done = 0
    while done < batch:
        with unit_of_work():
            cursor = _locked_cursor(subscription.consumer)
            if cursor is None:
                return done  # another worker got here
            events, read_to = _events_after(cursor.last_event_id, 1, subscription)
            if not events:
                cursor.last_event_id = max(cursor.last_event_id, read_to)
                return done
            subscription.handler(events[0])
            cursor.last_event_id = events[0].id
        done += 1
    return done


def _ensure_cursor(name: str) -> bool:
    """Create the consumer's cursor if it has none; whether this call created it."""
    if db.session.get(EventCursor, name) is not None:
        return False
    try:
        with unit_of_work():
            db.session.add(EventCursor(name=name, last_event_id=0))
    except Conflict:
        return False  # another worker created it first
    return True


def _locked_cursor(name: str) -> EventCursor | None:
    return db.session.scalar(
        select(EventCursor).where(EventCursor.name == name).with_for_update(skip_locked=True)
    )


def _events_after(
    last_event_id: int, batch: int, subscription: Subscription
) -> tuple[list[Event], int]:
    """The next events the subscription wants, and the id its cursor may move to.

    A subscription to some events reads only those (the database filters; most events
    are comments, which most consumers ignore): up to the latest event id read first, so
    that an event committed meanwhile with a lower id (PostgreSQL commits in id order
    under the outbox's lock, so none can) is never stepped over."""
    events_query = select(Event) if subscription.reads_data else _WITHOUT_DATA
    if subscription.event_types is None and subscription.where is None:
        events = list(db.session.scalars(feed_query(events_query, last_event_id, batch, None)))
        return events, events[-1].id if events else last_event_id
    latest = latest_event_id()
    patterns = None if subscription.event_types is None else subscription.patterns
    query = feed_query(events_query, last_event_id, batch, patterns).where(Event.id <= latest)
    if subscription.where is not None:
        query = query.where(subscription.where)
    events = list(db.session.scalars(query))
    return events, events[-1].id if len(events) == batch else latest


_WITHOUT_DATA = select(Event).options(defer(Event.data))


def dispatcher_of(app) -> Dispatcher:
    """The dispatcher the wiring table installed on `app` (api/wiring.py)."""
    return app.extensions["marginalia.dispatcher"]


def dispatch_pending(batch: int = 500) -> int:
    """Run the current app's dispatcher once (the worker's watcher and sweep, tests)."""
    from flask import current_app

    return dispatcher_of(current_app).dispatch_pending(batch)
