"""Compiled NQL filters select the posts Ghost would select, on a real database
(SQLite in memory; PostgreSQL on that leg): fixtures in conftest.py.

Posts: 1 hello (featured, jo, news+tech, 2024-01-10), 2 world (al, news, 2024-02-10),
3 lonely (jo, no tags, 2023-12-01), 4 draft (al, tech+o'neil, unpublished)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from api.compat.ids import Kind, ghost_id
from api.compat.nql import NqlError, RelativeDate, parse
from api.compat.nql_sql import resolve, to_sql
from tests.compat.conftest import CONDITIONS, posts

NOW = datetime(2024, 2, 15, 12, 0, tzinfo=UTC)


def matching(engine, text: str) -> set[int]:
    query = select(posts.c.id).where(to_sql(parse(text), CONDITIONS, now=NOW))
    with engine.connect() as connection:
        return set(connection.scalars(query))


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("tag:news", {1, 2}),
        ("tags:[news,tech]", {1, 2, 4}),
        ("tag:[news+tech]", {1}),
        # Negation on a relation is "has none of them": untagged posts match.
        ("tag:-news", {3, 4}),
        ("tag:-[news,tech]", {3}),
        ("tag:'o\\'neil'", {4}),
        ("author:jo", {1, 3}),
        ("authors:-jo", {2, 4}),
        ("featured:true", {1}),
        ("featured:-true", {2, 3, 4}),
        ("featured:[true,false]", {1, 2, 3, 4}),
        ("slug:[hello,lonely]", {1, 3}),
        ("slug:-hello", {2, 3, 4}),
        ("status:draft", {4}),
        ("visibility:public", {1, 2, 3, 4}),
        ("published_at:>'2024-01-01'", {1, 2}),
        ("published_at:>='2024-02-10 12:00:00'", {2}),
        ("published_at:<2024-01-10T12:00:00Z", {3}),
        ("published_at:<='2024-01-10T13:00:00+01:00'", {1, 3}),
        ("published_at:>now-30d", {2}),
        ("published_at:>now-3M", {1, 2, 3}),
        ("published_at:<now-1y", set()),
        # An unpublished post has no date: no date comparison matches it.
        ("published_at:-'2024-01-10 12:00:00'", {2, 3}),
    ],
)
def test_filters_select_what_ghost_selects(filter_engine, text, ids):
    assert matching(filter_engine, text) == ids


def test_ids_are_ghost_ids_of_the_right_kind(filter_engine):
    assert matching(filter_engine, f"id:{ghost_id(Kind.POST, 2)}") == {2}
    assert matching(filter_engine, f"id:-{ghost_id(Kind.POST, 2)}") == {1, 3, 4}
    both = f"id:[{ghost_id(Kind.POST, 1)},{ghost_id(Kind.POST, 3)}]"
    assert matching(filter_engine, both) == {1, 3}
    # A tag's id never names a post, whatever its number.
    assert matching(filter_engine, f"id:{ghost_id(Kind.TAG, 2)}") == set()
    assert matching(filter_engine, f"id:-{ghost_id(Kind.TAG, 2)}") == {1, 2, 3, 4}
    assert matching(filter_engine, f"id:[{ghost_id(Kind.TAG, 2)}]") == set()
    assert matching(filter_engine, f"id:-[{ghost_id(Kind.TAG, 2)}]") == {1, 2, 3, 4}
    # Beyond a 32-bit id nothing can match (PostgreSQL would refuse the value outright).
    assert matching(filter_engine, f"id:{ghost_id(Kind.POST, 2**31)}") == set()
    assert matching(filter_engine, f"id:{'01' + 'f' * 22}") == set()


def test_precedence_and_grouping_change_the_result(filter_engine):
    assert matching(filter_engine, "featured:true+tag:news,author:al") == {1, 2, 4}
    assert matching(filter_engine, "featured:true+(tag:news,author:al)") == {1}
    assert matching(filter_engine, "(tag:news,tag:tech)+author:al") == {2, 4}
    assert matching(filter_engine, "tag:news,tag:tech+author:al") == {1, 2, 4}


def test_a_hostile_value_is_only_ever_a_value(filter_engine):
    hostile = "slug:'x\\' OR 1=1; DROP TABLE posts; --'"
    assert matching(filter_engine, hostile) == set()
    assert matching(filter_engine, "tag:'news) OR (1=1'") == set()
    assert "posts" in inspect(filter_engine).get_table_names()
    assert matching(filter_engine, "slug:hello") == {1}


def test_a_field_the_caller_did_not_map_is_the_same_error():
    tree = parse("featured:true+tag:news")
    with pytest.raises(NqlError, match="Filtering by 'tag' is not available here"):
        to_sql(tree, {"featured": CONDITIONS["featured"]}, now=NOW)


def test_relative_dates_follow_the_calendar():
    assert resolve(RelativeDate("-", 1, "M"), datetime(2024, 3, 31, tzinfo=UTC)) == datetime(
        2024, 2, 29, tzinfo=UTC
    )
    assert resolve(RelativeDate("+", 1, "y"), datetime(2024, 2, 29, tzinfo=UTC)) == datetime(
        2025, 2, 28, tzinfo=UTC
    )
    assert resolve(RelativeDate("-", 2, "w"), NOW) == datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
    assert resolve(RelativeDate("+", 90, "m"), NOW) == datetime(2024, 2, 15, 13, 30, tzinfo=UTC)
    with pytest.raises(NqlError, match="now-999999y is out of range"):
        resolve(RelativeDate("-", 999999, "y"), NOW)
    with pytest.raises(NqlError, match="out of range"):
        resolve(RelativeDate("+", 999999, "w"), NOW)
