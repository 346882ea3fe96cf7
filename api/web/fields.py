"""Fields and schemas every area shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import marshmallow as ma

from api.web.conventions import ABSENT


def rfc3339(value: datetime | None) -> str | None:
    """How every timestamp is written: `2014-11-25T08:00:00Z` (Timestamp's format;
    the dumpers compiled from schemas, api/web/dumpers.py, call it directly)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Timestamp(ma.fields.DateTime):
    """RFC 3339 in UTC: `2014-11-25T08:00:00Z` out; any offset in, naive refused."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return rfc3339(value)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            raise ma.ValidationError("Give a timezone offset, e.g. 2026-01-31T09:00:00Z.")
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ma.ValidationError("Not a valid datetime.") from None


class CommaList(ma.fields.Field):
    """A query parameter like `include=author,tags`, checked against allowed words.

    The contract types it as a string with a pattern of those words: generators then
    send it as it is, where an array would be exploded into repeated parameters.
    """

    def __init__(self, choices: tuple[str, ...], **kwargs):
        self.choices = choices
        word = "|".join(re.escape(choice) for choice in choices)
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("description", f"Comma-separated: {', '.join(choices)}")
        metadata.update(type="string", pattern=f"^(({word})(,({word}))*)?$")
        kwargs.setdefault("load_default", tuple)  # a callable: no `default: []` in the contract
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        if not isinstance(value, str):
            raise ma.ValidationError("Must be a comma-separated string.")
        # Exactly what the contract's pattern says: words and commas, nothing else.
        words = tuple(dict.fromkeys(value.split(","))) if value else ()
        unknown = [repr(w) for w in words if w not in self.choices]
        if unknown:
            raise ma.ValidationError(
                f"Unknown value(s) {', '.join(unknown[:5])}; allowed: {', '.join(self.choices)}."
            )
        return words


def page_schema(item_schema: type[ma.Schema], name: str, *, keyset: bool = True) -> type[ma.Schema]:
    """A page of a collection: the items, the next page's URL (also in `Link`) and, for
    keyset collections, the cursors of the next and previous pages and, on request, the
    count of the whole collection."""
    fields = {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next": ma.fields.String(
            allow_none=True,
            metadata={"description": "URL of the next page (null on the last); also in Link"},
        ),
    }
    if keyset:
        fields |= {
            "next_cursor": ma.fields.String(
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page (null on the last)"},
            ),
            "prev": ma.fields.String(
                allow_none=True,
                metadata={
                    "description": "URL of the previous page (null on the first); also in Link"
                },
            ),
            "prev_cursor": ma.fields.String(
                allow_none=True,
                metadata={
                    "description": "Pass as `cursor` for the previous page (null on the first)"
                },
            ),
            "total": ma.fields.Integer(
                metadata={
                    "description": "How many items the whole collection (with these filters) "
                    "holds, counted exactly",
                    ABSENT: "unless `count=true` was asked for",
                }
            ),
        }
    return ma.Schema.from_dict(fields, name=name)


class QueryBoolean(ma.fields.Boolean):
    """`true` or `false` in a query string, and nothing else (the contract's boolean)."""

    truthy = frozenset({"true"})
    falsy = frozenset({"false"})


class StrictBoolean(ma.fields.Boolean):
    """JSON `true` or `false` only: `0`, `"yes"` and friends are type errors, as the
    contract's `type: boolean` says."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if value is True or value is False:  # `0 == False`, so sets would let 0 through
            return value
        raise self.make_error("invalid", input=value)


DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgsSchema(ma.Schema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1-{MAX_LIMIT}"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=512),
        metadata={"description": "`next_cursor` or `prev_cursor` of the page you hold"},
    )
    count = QueryBoolean(
        load_default=False,
        metadata={
            "description": "true: add `total`, the exact count of the collection (one more "
            "query; leave it out when you do not show it)"
        },
    )
