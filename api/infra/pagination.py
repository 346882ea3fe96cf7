"""Keyset (cursor) pagination: the cost of a page never grows with the collection.

A cursor is the sort key of the last item of the previous page, signed so that a
forged or truncated cursor is a clean 400 instead of a query on attacker data. A
backward cursor (`prev_cursor`) is the sort key of the first item of a page, marked to
walk the same index the other way: the page before it is the `limit` rows that precede
that key, read in reverse and turned around, so going back costs what going on does.
The count of a collection (`total`) is one more statement, run only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, bindparam, func, or_
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

    def reversed(self) -> SortKey:
        return SortKey(self.column, not self.descending, self.kind)


@dataclass
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None = None  # None on the first page (and on an empty one)
    total: int | None = None  # only when the caller asked for a count


class CursorCodec:
    def __init__(self, secret: str, salt: str):
        self._serializer = URLSafeSerializer(secret, salt=f"cursor:{salt}")

    def encode(self, values: Sequence[Any], *, backwards: bool = False) -> str:
        wire = [_to_wire(v) for v in values]
        return self._serializer.dumps({"before": wire} if backwards else wire)

    def decode(self, cursor: str, keys: Sequence[SortKey]) -> list[Any]:
        """The sort values of a forward cursor (see `position` for either kind)."""
        values, backwards = self.position(cursor, keys)
        if backwards:
            raise InvalidCursor("The cursor is not one this API issued.")
        return values

    def position(self, cursor: str, keys: Sequence[SortKey]) -> tuple[list[Any], bool]:
        """(sort values, whether the cursor walks backwards)."""
        try:
            values = self._serializer.loads(cursor)
        except (BadSignature, ValueError, TypeError, UnicodeError):
            raise InvalidCursor("The cursor is not one this API issued.") from None
        backwards = isinstance(values, dict) and list(values) == ["before"]
        if backwards:
            values = values["before"]
        return self._values(values, keys), backwards

    def _values(self, values: Any, keys: Sequence[SortKey]) -> list[Any]:
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
    count: bool = False,
    count_query=None,
) -> Page:
    """Run `query` for one page; `key_of(row)` gives a row's sort values for the cursor.

    With `params`, `query` is a statement built once and reused by the caller, whose
    values are bind parameters (given in `params`) and whose items are its Core rows:
    the page's own statement is then built once per shape too (cached below), which
    spares SQLAlchemy building and hashing a new statement on every request. Without,
    the items are the query's first column (an entity).

    With `count`, `total` counts every row of `query` (or of `count_query`, the same
    rows selected without what only the representation needs, such as a join).
    """
    anchor, backwards = codec.position(cursor, keys) if cursor else (None, False)
    walk = tuple(key.reversed() for key in keys) if backwards else tuple(keys)
    if params is not None:
        values = {**params, "page_limit": limit + 1}
        if cursor:
            values.update(zip(_AFTER, anchor, strict=False))
        items = session.execute(_paged(query, walk, bool(cursor)), values).all()
    else:
        paged = query.where(after(walk, anchor)) if cursor else query
        paged = paged.order_by(*(key.order_by() for key in walk)).limit(limit + 1)
        items = list(session.scalars(paged))
    more = len(items) > limit
    items = items[:limit]
    if backwards:
        items.reverse()
        next_cursor = codec.encode(key_of(items[-1])) if items else None
        prev_cursor = codec.encode(key_of(items[0]), backwards=True) if more else None
    else:
        next_cursor = codec.encode(key_of(items[-1])) if more else None
        prev_cursor = codec.encode(key_of(items[0]), backwards=True) if cursor and items else None
    page = Page(items=items, next_cursor=next_cursor, prev_cursor=prev_cursor)
    if count:
        rows = count_query if count_query is not None else query
        counted = _counted(rows) if params is not None else _count_of(rows)
        page.total = session.execute(counted, params or {}).scalar_one()
    return page


_AFTER = tuple(f"after_{n}" for n in range(8))


def _count_of(query):
    """`SELECT count(*)` over the rows of `query`, keeping its FROM, joins and WHERE."""
    return query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


_counted = lru_cache(maxsize=256)(_count_of)  # for statements built once (`params`)


@lru_cache(maxsize=256)
def _paged(query, keys: tuple[SortKey, ...], with_cursor: bool):
    if with_cursor:
        query = query.where(after(keys, [bindparam(name) for name in _AFTER[: len(keys)]]))
    return query.order_by(*(key.order_by() for key in keys)).limit(bindparam("page_limit"))
