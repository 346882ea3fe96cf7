"""Cursors: what the API issues comes back intact; anything else is refused."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Integer

from api.infra.pagination import CursorCodec, InvalidCursor, SortKey

KEYS = [SortKey(Column("at", DateTime), True, "datetime"), SortKey(Column("id", Integer), True)]


def test_round_trip():
    codec = CursorCodec("secret", "posts")
    values = [datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), 42]
    assert codec.decode(codec.encode(values), KEYS) == values


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[:-1],
        lambda c: c + "x",
        lambda c: "x" + c[1:],
        lambda c: c.replace(".", ""),
    ],
)
def test_tampered_cursors_are_refused(mutate):
    codec = CursorCodec("secret", "posts")
    cursor = codec.encode([datetime(2020, 1, 1, tzinfo=UTC), 1])
    with pytest.raises(InvalidCursor):
        codec.decode(mutate(cursor), KEYS)


def test_cursor_signed_for_another_collection_or_key_is_refused():
    cursor = CursorCodec("secret", "tags").encode([datetime(2020, 1, 1, tzinfo=UTC), 1])
    with pytest.raises(InvalidCursor):
        CursorCodec("secret", "posts").decode(cursor, KEYS)
    with pytest.raises(InvalidCursor):
        CursorCodec("other-secret", "tags").decode(cursor, KEYS)


def test_well_signed_values_of_the_wrong_shape_are_refused():
    codec = CursorCodec("secret", "posts")
    for values in (
        ["not a date", 1],
        [datetime(2020, 1, 1, tzinfo=UTC).isoformat(), "1"],
        [1],
        [True, True],
    ):
        with pytest.raises(InvalidCursor):
            codec.decode(codec._serializer.dumps(values), KEYS)
