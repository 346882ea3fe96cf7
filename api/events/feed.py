"""Reading the outbox back: the feed in commit order, and which events a pattern names."""

from __future__ import annotations

from sqlalchemy import Row, Select, bindparam, func, or_, select

from api.events.models import Event
from api.infra.database import db


def latest_event_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(Event.id), 0)))


def type_matches(event_type: str, patterns: list[str]) -> bool:
    """`comment.*` matches every comment event; `*` matches all."""
    for pattern in patterns:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def list_events(after: int, limit: int, patterns: list[str] | None = None) -> list[Event]:
    """Events with id > `after`, in commit order. The cursor is the event id itself."""
    return list(db.session.scalars(feed_query(select(Event), after, limit, patterns)))


FEED_COLUMNS = (Event.id, Event.type, Event.occurred_at, Event.data)
# The feed without a type filter, built once (no new statement to hash per request).
_WHOLE_FEED = (
    select(*FEED_COLUMNS)
    .where(Event.id > bindparam("after"))
    .order_by(Event.id)
    .limit(bindparam("feed_limit"))
)


def feed_rows(after: int, limit: int, patterns: list[str] | None = None) -> list[Row]:
    """As list_events, as rows of FEED_COLUMNS: the feed reads 100 events a page, and
    entities cost more to build than the query (bench/README.md)."""
    if patterns and "*" not in patterns:
        return db.session.execute(feed_query(select(*FEED_COLUMNS), after, limit, patterns)).all()
    return db.session.execute(_WHOLE_FEED, {"after": after, "feed_limit": limit}).all()


def feed_query(query: Select, after: int, limit: int, patterns: list[str] | None) -> Select:
    query = query.where(Event.id > after).order_by(Event.id)
    if patterns and "*" not in patterns:
        exact = [p for p in patterns if not p.endswith(".*")]
        prefixes = [p[:-1] for p in patterns if p.endswith(".*")]
        conditions = []
        if exact:
            conditions.append(Event.type.in_(exact))
        conditions += [Event.type.startswith(prefix, autoescape=True) for prefix in prefixes]
        query = query.where(or_(*conditions))
    return query.limit(limit)


def events_by_id(ids) -> dict[int, Event]:
    """The events with these ids (webhook deliveries render their payloads from them)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_(wanted)))}
