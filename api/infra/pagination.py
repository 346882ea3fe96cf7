"""Keyset (cursor) pagination: the cost of a page never grows with the collection.

A cursor is the sort key of the last item of the previous page, signed so that a
forged or truncated cursor is a clean 400 instead of a query on attacker data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, bindparam, or_
from sqlalchemy.sql import ColumnElement

from api.errors import DomainError


class InvalidCursor(DomainError):
    status, slug, title = 400, "invalid-cursor", "Invalid cursor"


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset ordering; `descending` flips the comparison."""

    column: ColumnElement
    descending: bool = False
    kind: str = "int"  # how the value travels in the cursor: int, str or datetime

    def order_by(self):
        return self.column.desc() if self.descending else self.column.asc()


@dataclass
class Page:
    items: list
    next_cursor: str | None


class CursorCodec:
    def __init__(self, secret: str, salt: str):
        self._serializer = URLSafeSerializer(secret, salt=f"cursor:{salt}")

    def encode(self, values: Sequence[Any]) -> str:
        return self._serializer.dumps([_to_wire(v) for v in values])

    def decode(self, cursor: str, keys: Sequence[SortKey]) -> list[Any]:
        try:
            values = self._serializer.loads(cursor)
        except (BadSignature, ValueError, TypeError, UnicodeError):
            raise InvalidCursor("The cursor is not one this API issued.") from None
        if not isinstance(values, list) or len(values) != len(keys):
            raise InvalidCursor("The cursor is not one this API issued.")
        try:
            return [_from_wire(value, key.kind) for value, key in zip(values, keys, strict=True)]
        except (TypeError, ValueError):
            raise InvalidCursor("The cursor is not one this API issued.") from None


def _to_wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _from_wire(value: Any, kind: str) -> Any:
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("int expected")
        return value
    if not isinstance(value, str):
        raise TypeError("str expected")
    return value


def after(keys: Sequence[SortKey], values: Sequence[Any]):
    """The WHERE clause selecting rows strictly after `values` in the `keys` order.

    Written as nested OR/AND rather than a row-value comparison so that mixed
    directions work; the redundant range on the first key lets both SQLite and
    PostgreSQL seek into the composite index instead of filtering from its start.
    """
    first, value = keys[0], values[0]
    seek = first.column <= value if first.descending else first.column >= value
    return and_(seek, _beyond(keys, values))


def _beyond(keys: Sequence[SortKey], values: Sequence[Any]):
    key, *rest = keys
    value, *rest_values = values
    beyond = key.column < value if key.descending else key.column > value
    if not rest:
        return beyond
    return or_(beyond, and_(key.column == value, _beyond(rest, rest_values)))


def paginate(
    session,
    query,
    keys: Sequence[SortKey],
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    key_of,
    params: dict | None = None,
) -> Page:
    """Run `query` for one page; `key_of(row)` gives a row's sort values for the cursor.

    With `params`, `query` is a statement built once and reused by the caller, whose
    values are bind parameters (given in `params`) and whose items are its Core rows:
    the page's own statement is then built once per shape too (cached below), which
    spares SQLAlchemy building and hashing a new statement on every request. Without,
    the items are the query's first column (an entity).
    """
    if params is not None:
        values = {**params, "page_limit": limit + 1}
        if cursor:
            values.update(zip(_AFTER, codec.decode(cursor, keys), strict=False))
        statement = _paged(query, tuple(keys), bool(cursor))
        items = session.execute(statement, values).all()
    else:
        if cursor:
            query = query.where(after(keys, codec.decode(cursor, keys)))
        query = query.order_by(*(key.order_by() for key in keys)).limit(limit + 1)
        items = list(session.scalars(query))
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = codec.encode(key_of(items[-1]))
    return Page(items=items, next_cursor=next_cursor)


_AFTER = tuple(f"after_{n}" for n in range(8))


@lru_cache(maxsize=256)
def _paged(query, keys: tuple[SortKey, ...], with_cursor: bool):
    if with_cursor:
        query = query.where(after(keys, [bindparam(name) for name in _AFTER[: len(keys)]]))
    return query.order_by(*(key.order_by() for key in keys)).limit(bindparam("page_limit"))
