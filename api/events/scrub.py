"""Erasing a commenter from the event log: the events that told of their comments keep
the comment ids and statuses, without the name and URL they carried. Webhook payloads
are read from these rows when sent, so deliveries still pending go out without them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from api.events.models import Event
from api.infra.database import db

_CHUNK = 1000


def scrub_comment_events(comment_ids: set[int], replacement: dict) -> int:
    """Events whose `data.comment.id` is one of these get `replacement`'s values (and
    lose any private keys); returns how many events changed."""
    if not comment_ids:
        return 0
    changed = last = 0
    candidates = (
        select(Event)
        .where(Event.type.like("comment.%") | (Event.type == "pingback.received"))
        .order_by(Event.id)
        .limit(_CHUNK)
    )
    while rows := list(db.session.scalars(candidates.where(Event.id > last))):
        for event in rows:
            comment = (event.data or {}).get("comment")
            if isinstance(comment, dict) and comment.get("id") in comment_ids:
                event.data = {**event.data, "comment": {**comment, **replacement}}
                flag_modified(event, "data")
                changed += 1
        last = rows[-1].id
        db.session.flush()
    return changed
