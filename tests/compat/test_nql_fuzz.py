"""Properties of the NQL filter pipeline, for any input:

- any text parses or raises NqlError, nothing else (a Ghost-style 400, never a 500);
- any well-formed tree prints to text that parses back to the same tree;
- any parsed filter compiles and runs on the database without error;
- the SQL text depends on the filter's shape only: values are bound parameters, so
  replacing every value leaves the SQL text unchanged, and every value is among the
  bound parameters.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from api.compat.ids import MAX_OUR_ID, ghost_id
from api.compat.ids import Kind as IdKind
from api.compat.nql import (
    _OPS_BY_KIND,
    LIST_OPS,
    POST_FIELDS,
    And,
    Comparison,
    Kind,
    NqlError,
    Op,
    Or,
    RelativeDate,
    parse,
    to_text,
)
from api.compat.nql_sql import to_sql
from tests.compat.conftest import CONDITIONS, posts

NOW = datetime(2024, 2, 15, 12, 0, tzinfo=UTC)
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Trees are dearer to draw and to compile; fewer of them still cover every field and operator.
TREE_FUZZ = settings(FUZZ, max_examples=120)

# Pieces of real filters, so random sequences are often nearly valid.
FRAGMENTS = [
    "tag:", "tags:", "author:", "featured:", "published_at:", "slug:", "id:", "status:",
    "visibility:", "foo:", "tags.slug:", "(", ")", "[", "]", "+", ",", "-", ">", ">=", "<",
    "<=", "'", "\\", "\\'", "~", "=", '"', " ", "news", "tech", "true", "false", "null",
    "2024-01-01", "'2024-01-01 10:00:00'", "2024-01-01T10:00:00Z", "now-30d", "now+1w",
    "01000000000000000000002a", "01ffffffffffffffffffffff", "o'neil", "a,b", ":", "\x00",
    "\ud800", "é", "日本",
]  # fmt: skip

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(" \t\n"),
    max_size=20,
)
relative_dates = st.builds(
    # Up to 1000 years either way stays within the calendar from 2024.
    RelativeDate,
    st.sampled_from("-+"),
    st.integers(0, 1000),
    st.sampled_from("dwMyhms"),
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
VALUES = {
    Kind.TEXT: texts,
    Kind.RELATION: texts,
    Kind.BOOLEAN: st.booleans(),
    Kind.DATETIME: moments | relative_dates,
    Kind.ID: st.integers(1, MAX_OUR_ID).map(lambda n: ghost_id(IdKind.POST, n)),
}


@st.composite
def comparisons(draw):
    field = draw(st.sampled_from(sorted(POST_FIELDS)))
    kind = POST_FIELDS[field]
    op = draw(st.sampled_from(sorted(_OPS_BY_KIND[kind])))
    # The parser reads a one-value list as "any of": all-of lists have two values or more.
    smallest = 2 if op is Op.ALL else 1
    count = draw(st.integers(smallest, 4)) if op in LIST_OPS else 1
    values = draw(st.lists(VALUES[kind], min_size=count, max_size=count))
    return Comparison(field, op, tuple(values))


trees = st.recursive(
    comparisons(),
    lambda children: (
        st.builds(And, st.lists(children, min_size=2, max_size=3).map(tuple))
        | st.builds(Or, st.lists(children, min_size=2, max_size=3).map(tuple))
    ),
    max_leaves=8,
)


def _parse_or_none(text):
    try:
        return parse(text)
    except NqlError:
        return None


@FUZZ
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_the_parse_error(text):
    _parse_or_none(text)


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join))
def test_near_valid_text_parses_or_raises_the_parse_error(text):
    _parse_or_none(text)


@TREE_FUZZ
@given(trees)
def test_printed_trees_parse_back_to_themselves(tree):
    assert parse(to_text(tree)) == tree


@TREE_FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join) | trees.map(to_text))
def test_parsed_filters_run_on_the_database(filter_engine, text):
    tree = _parse_or_none(text)
    if tree is None:
        return
    try:
        condition = to_sql(tree, CONDITIONS, now=NOW)
    except NqlError:  # a relative date beyond the calendar
        return
    with filter_engine.connect() as connection:
        ids = set(connection.scalars(select(posts.c.id).where(condition)))
    assert ids <= {1, 2, 3, 4}


def _placeholder(value):
    if isinstance(value, bool):
        return True
    if isinstance(value, datetime | RelativeDate):
        return datetime(2000, 1, 1, tzinfo=UTC)
    if len(value) == 24 and value.startswith("01"):
        return ghost_id(IdKind.POST, 1)
    return "x"


def _with_placeholders(tree):
    if isinstance(tree, Comparison):
        return Comparison(tree.field, tree.op, tuple(_placeholder(v) for v in tree.values))
    return type(tree)(tuple(_with_placeholders(child) for child in tree.operands))


def _leaf_values(tree):
    if isinstance(tree, Comparison):
        if tree.field != "id" and not any(isinstance(v, RelativeDate) for v in tree.values):
            yield from tree.values
        return
    for child in tree.operands:
        yield from _leaf_values(child)


def _bound_values(compiled):
    for value in compiled.params.values():
        yield from value if isinstance(value, list) else [value]


@TREE_FUZZ
@given(trees)
def test_values_never_reach_the_sql_text(tree):
    dummy = _with_placeholders(tree)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        real = select(posts.c.id).where(to_sql(tree, CONDITIONS, now=NOW)).compile(dialect=dialect)
        shape = (
            select(posts.c.id).where(to_sql(dummy, CONDITIONS, now=NOW)).compile(dialect=dialect)
        )
        assert str(real) == str(shape)
        bound = list(_bound_values(real))
        for value in _leaf_values(tree):
            assert any(value == b and type(value) is type(b) for b in bound), value


def test_the_shape_property_would_catch_a_value_in_the_sql():
    # The property above is not vacuous: a literal value does change the text.
    from sqlalchemy import literal_column

    one = select(posts.c.id).where(posts.c.slug == literal_column("'a'"))
    other = select(posts.c.id).where(posts.c.slug == literal_column("'b'"))
    assert str(one.compile(dialect=sqlite.dialect())) != str(
        other.compile(dialect=sqlite.dialect())
    )
    assert Op.EQ in _OPS_BY_KIND[Kind.TEXT]
