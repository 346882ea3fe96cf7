"""Compile an NQL AST (`api.compat.nql`) to a SQLAlchemy Core boolean expression.

The caller says what each field means, as a mapping from field name to a builder; this
module only combines their conditions with AND / OR and resolves relative dates. Two
builders cover every field kind:

    conditions = {
        "slug": scalar(posts.c.slug),
        "featured": scalar(posts.c.featured),
        "published_at": scalar(posts.c.published_at),
        "id": scalar(posts.c.id, convert=lambda v: parse_ghost_id(v, Kind.POST)),
        "tag": related(lambda slugs: exists().where(
            post_tags.c.post_id == posts.c.id,
            post_tags.c.tag_id == tags.c.id,
            tags.c.slug.in_(slugs),
        )),
    }
    query = select(posts).where(to_sql(parse(text), conditions))

Values only ever travel as bound parameters: `scalar` binds each one explicitly (even
booleans, which SQLAlchemy would otherwise render as a literal `true`), and `related`
hands the caller a tuple for `.in_()`, which SQLAlchemy binds as an expanding
parameter. The SQL text therefore depends on the shape of the filter only, never on
its values (the property tests check exactly that).

Relations follow Ghost's semantics (TryGhost/NQL, packages/mongo-knex): `tag:news` is
"has the tag news", `tag:[a,b]` "has a or b", `tag:[a+b]` "has a and b", and the
negations `tag:-news` / `tag:-[a,b]` are "has none of them" (Ghost compiles those to
`id NOT IN (posts having them)`), so a post without tags matches `tag:-news`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, false, not_, or_, true
from sqlalchemy.sql import ColumnElement

from api.compat.nql import And, Comparison, Node, NqlError, Op, Or, RelativeDate

Builder = Callable[[Comparison], ColumnElement[bool]]
Convert = Callable[[Any], Any]


def to_sql(
    node: Node, conditions: Mapping[str, Builder], *, now: datetime | None = None
) -> ColumnElement[bool]:
    """The WHERE clause for a parsed filter. A field the caller did not map raises
    NqlError (the same 400 as an unknown field)."""
    now = now or datetime.now(UTC)
    if isinstance(node, And):
        return and_(*(to_sql(child, conditions, now=now) for child in node.operands))
    if isinstance(node, Or):
        return or_(*(to_sql(child, conditions, now=now) for child in node.operands))
    builder = conditions.get(node.field)
    if builder is None:
        raise NqlError(f"Filtering by {node.field!r} is not available here")
    values = tuple(resolve(v, now) if isinstance(v, RelativeDate) else v for v in node.values)
    return builder(Comparison(node.field, node.op, values))


def resolve(relative: RelativeDate, now: datetime) -> datetime:
    """`now-30d` as a moment; months and years by the calendar, as Ghost (luxon) does."""
    amount = relative.amount if relative.sign == "+" else -relative.amount
    try:
        if relative.unit in "My":
            return _add_months(now, amount * (12 if relative.unit == "y" else 1))
        unit = {"d": "days", "w": "weeks", "h": "hours", "m": "minutes", "s": "seconds"}
        return now + timedelta(**{unit[relative.unit]: amount})
    except (OverflowError, ValueError):
        text = f"now{relative.sign}{relative.amount}{relative.unit}"
        raise NqlError(f"{text} is out of range") from None


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1]) if 1 <= year <= 9999 else 1
    return moment.replace(year=year, month=month + 1, day=day)


def scalar(column: ColumnElement, *, convert: Convert | None = None) -> Builder:
    """Conditions on one column. `convert` maps each filter value to the column's (for
    ids: Ghost id -> integer); a value it maps to None matches nothing."""

    def build(comparison: Comparison) -> ColumnElement[bool]:
        values = _converted(comparison.values, convert)
        op = comparison.op
        if op is Op.ALL:
            raise NqlError(f"{comparison.field!r} does not take the all-of ([a+b]) operator")
        if op is Op.NIN:
            return column.not_in(values) if values else true()
        if not values:  # every value was impossible: = and IN match nothing, != everything
            return true() if op is Op.NE else false()
        if op is Op.IN:
            return column.in_(values)
        bound = bindparam(None, values[0], type_=column.type)
        return _COMPARE[op](column, bound)

    return build


_COMPARE = {
    Op.EQ: lambda column, value: column == value,
    Op.NE: lambda column, value: column != value,
    Op.GT: lambda column, value: column > value,
    Op.GTE: lambda column, value: column >= value,
    Op.LT: lambda column, value: column < value,
    Op.LTE: lambda column, value: column <= value,
}


def related(
    has_any: Callable[[tuple], ColumnElement[bool]], *, convert: Convert | None = None
) -> Builder:
    """Conditions on a to-many relation. `has_any(values)` is the caller's "has at least
    one of these" condition (typically an EXISTS over the join table using
    `.in_(values)`); negations and all-of are built from it."""

    def build(comparison: Comparison) -> ColumnElement[bool]:
        values = _converted(comparison.values, convert)
        op = comparison.op
        if op not in (Op.EQ, Op.NE, Op.IN, Op.NIN, Op.ALL):
            raise NqlError(f"{comparison.field!r} cannot be compared with < or >")
        if not values:
            return true() if op in (Op.NE, Op.NIN) else false()
        if op is Op.ALL:
            return and_(*(has_any((value,)) for value in values))
        condition = has_any(values)
        return not_(condition) if op in (Op.NE, Op.NIN) else condition

    return build


def _converted(values: tuple, convert: Convert | None) -> tuple:
    if convert is None:
        return values
    return tuple(converted for v in values if (converted := convert(v)) is not None)
