"""Rows as plain data and back, for an export that restores a database as it was (ids,
times and rendered HTML included): each area dumps and restores its own tables with
these, so no area reads another's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, inspect, select, text

from api.infra.database import db
from api.infra.timestamps import UTCDateTime


def as_data(row, *, exclude: Iterable[str] = ()) -> dict:
    """Every column of a mapped row by attribute name, but those excluded."""
    left_out = set(exclude)
    return {
        attr.key: getattr(row, attr.key)
        for attr in inspect(type(row)).column_attrs
        if attr.key not in left_out
    }


def from_data(model, data: dict, *, exclude: Iterable[str] = ()):
    """A new row of `model` from `as_data`'s dict (read back from JSON: times are ISO
    strings again); unknown keys are ignored, missing ones take their defaults."""
    left_out = set(exclude)
    values = {}
    for attr in inspect(model).column_attrs:
        if attr.key in left_out or attr.key not in data:
            continue
        value = data[attr.key]
        if isinstance(attr.columns[0].type, UTCDateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        values[attr.key] = value
    return model(**values)


def continue_ids(*models) -> None:
    """After rows were inserted with their ids (PostgreSQL's sequences do not see
    them), the next id of each table follows the largest one there."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__
        highest = session.scalar(select(func.max(table.c.id)))
        if highest:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value)"),
                {"table": table.name, "value": highest},
            )
