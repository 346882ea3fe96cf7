"""The transactional outbox: events recorded in the transaction of the change they tell.

A service records an event in the caller's unit of work; the event row is written at
the end of that unit of work and commits or rolls back with the change itself, so a
consumer (webhook fan-out, linkbacks, ...) never hears of a change that did not happen,
and never misses one that did.

On PostgreSQL, ids come from a sequence and concurrent transactions may commit out of id
order, so a feed reader paging by id could skip one. Holding a transaction lock from the
events' insert to the commit makes id order equal commit order. The insert is therefore
the last thing a unit of work does before committing: every writer queues on that lock
only for its last statements and the commit, not for the whole of its work. On SQLite
the same keeps the database's one write lock short.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from api.cache.keys import joined_keys
from api.events.catalogue import EventType
from api.events.models import Event
from api.infra import unit_of_work
from api.infra.database import executor
from api.infra.timestamps import utcnow

# Any constant works; it names the lock that orders event ids by commit.
_EVENT_ORDER_LOCK = 0x6D61_7267
_ORDER_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
# Written first of everything staged: the status counts and any other counter after.
EVENTS_ORDER = 0


def mute_events() -> None:
    """The caller's unit of work records no events from here on (their reactions still
    run): an import tells of thousands of items with one summary event, recorded with
    `force`, rather than flooding webhook consumers and pinging every imported link."""
    unit_of_work.current().events_muted = True


def record_event(
    event_type: EventType, data: dict, keys: Iterable[str] = (), *, force: bool = False
) -> None:
    """Add an event to the caller's unit of work, and run the reactions the wiring table
    names for it (api/wiring.py) in the same transaction.

    `keys` are the dependency keys of the public reads the change alters (api/cache/keys.py):
    response caches drop, and CDNs purge, exactly those. None for a change no anonymous
    reader can see (a pending comment, a draft, a staff-only field)."""
    if not isinstance(event_type, EventType):
        raise TypeError(f"record an EventType from api.events.catalogue, not {event_type!r}")
    uow = unit_of_work.current()
    if uow.events_muted and not force:
        for react in current_app.extensions["marginalia.reactions"].get(event_type.name, ()):
            react(data)
        return
    staged = uow.staged("events", writer=_insert_events, start=list, order=EVENTS_ORDER)
    staged.append(
        {
            "type": event_type.name,
            "data": data,
            "occurred_at": utcnow(),
            "cache_keys": joined_keys(keys),
        }
    )
    for react in current_app.extensions["marginalia.reactions"].get(event_type.name, ()):
        react(data)


def record_event_now(event_type: EventType, data: dict, keys: Iterable[str] = ()) -> Event:
    """Insert an event at once, for a caller that needs its id before the commit (it
    holds the ordering lock from here to the commit)."""
    session = unit_of_work.current().session
    recorded = Event(
        type=event_type.name, data=data, occurred_at=utcnow(), cache_keys=joined_keys(keys)
    )
    _take_order_lock(session)
    session.add(recorded)
    session.flush()
    return recorded


def _take_order_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        executor(session).execute(_ORDER_LOCK, {"key": _EVENT_ORDER_LOCK})


# Core, not the ORM's bulk insert of `Event` (which prepared the rows per call: ~0.2 ms
# of a comment's intake); built once.
# `inline`: no RETURNING of the new id, which nobody reads (and which the pipelined
# writers of a unit of work, api/infra/database.py `pipelined`, could not read).
_INSERT_EVENTS = insert(Event.__table__).inline()


def _insert_events(session: Session, rows: list[dict]) -> None:
    if rows:
        _take_order_lock(session)
        executor(session).execute(_INSERT_EVENTS, rows if len(rows) > 1 else rows[0])
