"""Ghost's NQL filter language: what parses to what, and what is refused with which
message. Expected trees follow Ghost's own parser tests
(TryGhost/NQL packages/nql-lang/test/parser.test.js), in our AST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.compat.nql import (
    AUTHOR_FIELDS,
    MAX_DEPTH,
    TAG_FIELDS,
    And,
    Comparison,
    NqlError,
    Op,
    Or,
    RelativeDate,
    parse,
    to_text,
)


def eq(field, value):
    return Comparison(field, Op.EQ, (value,))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("slug:getting-started", eq("slug", "getting-started")),
        ("author:'Joe Bloggs'", eq("author", "Joe Bloggs")),
        ("author:123-test", eq("author", "123-test")),
        ("tag:-getting-started", Comparison("tag", Op.NE, ("getting-started",))),
        ("tag:[getting-started]", Comparison("tag", Op.IN, ("getting-started",))),
        ("tag:[a, b ,c]", Comparison("tag", Op.IN, ("a", "b", "c"))),
        ("tag:-[a,b]", Comparison("tag", Op.NIN, ("a", "b"))),
        ("tag:[a+b+c]", Comparison("tag", Op.ALL, ("a", "b", "c"))),
        ("featured:true", eq("featured", True)),
        ("featured:False", eq("featured", False)),
        ("featured:-true", Comparison("featured", Op.NE, (True,))),
        ("status:published", eq("status", "published")),
        ("visibility:public", eq("visibility", "public")),
        # A value means what its field says: a slug of digits stays text, leading zeros too.
        ("slug:007", eq("slug", "007")),
        ("slug:true", eq("slug", "true")),
    ],
)
def test_comparisons(text, tree):
    assert parse(text) == tree


def test_ghost_aliases_name_one_field():
    for text in ("tag:news", "tags:news", "tags.slug:news"):
        assert parse(text) == eq("tag", "news")
    for text in ("author:jo", "authors:jo", "authors.slug:jo"):
        assert parse(text) == eq("author", "jo")


def test_quoted_values_with_escapes():
    assert parse("author:'John O\\'Nolan'") == eq("author", "John O'Nolan")
    assert parse("slug:'a\\\\b'") == eq("slug", "a\\b")
    assert parse("slug:'say \"hi\"'") == eq("slug", 'say "hi"')
    # Ghost keeps a backslash before any other character as it is.
    assert parse("slug:'C:\\path'") == eq("slug", "C:\\path")
    assert parse("slug:'a,b+c(d)'") == eq("slug", "a,b+c(d)")
    assert parse("slug:''") == eq("slug", "")


def test_bare_values_escape_reserved_characters():
    assert parse("slug:a\\,b") == eq("slug", "a,b")
    assert parse("slug:c\\+\\+") == eq("slug", "c++")


@pytest.mark.parametrize(
    ("text", "op", "moment"),
    [
        ("published_at:>'2024-01-01'", Op.GT, datetime(2024, 1, 1, tzinfo=UTC)),
        ("published_at:>=2024-01-01", Op.GTE, datetime(2024, 1, 1, tzinfo=UTC)),
        (
            "published_at:<'2017-06-03 23:43:12'",
            Op.LT,
            datetime(2017, 6, 3, 23, 43, 12, tzinfo=UTC),
        ),
        ("published_at:<=2024-02-29T10:30:00Z", Op.LTE, datetime(2024, 2, 29, 10, 30, tzinfo=UTC)),
        (
            "published_at:>'2024-01-01T12:00:00+02:00'",
            Op.GT,
            datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
        ),
        (
            "published_at:'2024-01-01T00:00:00.250Z'",
            Op.EQ,
            datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
        ),
    ],
)
def test_dates_are_read_as_utc(text, op, moment):
    assert parse(text) == Comparison("published_at", op, (moment,))


def test_relative_dates():
    assert parse("published_at:>now-30d") == Comparison(
        "published_at", Op.GT, (RelativeDate("-", 30, "d"),)
    )
    assert parse("published_at:<now+1w+featured:true") == And(
        (
            Comparison("published_at", Op.LT, (RelativeDate("+", 1, "w"),)),
            eq("featured", True),
        )
    )


def test_and_binds_tighter_than_or():
    # Ghost: `tag:photo+featured:true,tag.count:>5` is (photo AND featured) OR ...
    assert parse("tag:photo+featured:true,slug:x") == Or(
        (And((eq("tag", "photo"), eq("featured", True))), eq("slug", "x"))
    )
    assert parse("slug:x,tag:photo+featured:true") == Or(
        (eq("slug", "x"), And((eq("tag", "photo"), eq("featured", True))))
    )


def test_parentheses_group_and_regroup():
    assert parse("(tag:a,tag:b)+featured:true") == And(
        (Or((eq("tag", "a"), eq("tag", "b"))), eq("featured", True))
    )
    # A group around the whole filter, or around one condition, adds nothing.
    assert parse("(status:published)") == eq("status", "published")
    assert parse("((tag:a))") == eq("tag", "a")
    # Explicit nesting is kept as written.
    assert parse("tag:a+(tag:b+tag:c)") == And(
        (eq("tag", "a"), And((eq("tag", "b"), eq("tag", "c"))))
    )


def test_whitespace_between_tokens_is_ignored():
    assert parse(" tag : news ".replace("tag :", "tag:")) == eq("tag", "news")
    assert parse("tag:a , tag:b") == Or((eq("tag", "a"), eq("tag", "b")))


def test_resource_vocabularies():
    assert parse("slug:[news,tech]", TAG_FIELDS) == Comparison("slug", Op.IN, ("news", "tech"))
    assert parse("visibility:public", TAG_FIELDS) == eq("visibility", "public")
    with pytest.raises(NqlError, match="Unknown filter field 'featured'"):
        parse("featured:true", TAG_FIELDS)
    with pytest.raises(NqlError, match="Unknown filter field 'tag'"):
        parse("tag:news", AUTHOR_FIELDS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The filter is empty"),
        ("   ", "The filter is empty"),
        ("foo:bar", "Unknown filter field 'foo'; allowed: author, featured, id"),
        ("-tag:news", "Negation goes after the colon, as in tag:-news"),
        ("-(tag:a)", "Negation goes after the colon"),
        ("tag:", "Expected a value after tag:, found the end of the filter"),
        ("tag:news+", "Expected a field such as tag: or '(', found the end"),
        ("tag:a,,tag:b", "Expected a field such as tag: or '(', found ','"),
        ("(tag:a", "Expected ')' to close the '(' at character 1"),
        ("tag:a)", "Expected '+', ',' or the end of the filter, found ')'"),
        ("tag:[]", "Expected a value in the list of tag, found ']'"),
        ("tag:[a", "Expected ']' to close the list of tag"),
        ("tag:[a,b+c]", "either ',' (any of) or '+' (all of), not both"),
        ("tag:-[a+b]", "ambiguous; write -[a,b]"),
        ("tag:'news", "Unterminated quoted value"),
        ('tag:"news"', "Double quotes are not supported"),
        ("title:ghost", "Unknown filter field 'title'"),
        ("slug:~'ghost'", "The ~ (contains) operators are not supported"),
        ("slug=news", "'=' is not an operator"),
        ("featured:yes", "'featured' takes true or false"),
        ("featured:'true'", "'featured' takes true or false"),
        ("featured:null", "null is not supported for 'featured'"),
        ("slug:>abc", "'slug' does not take the greater than (>) operator"),
        ("featured:[true+false]", "does not take the all of ([a+b]) operator"),
        ("published_at:[2024-01-01,2024-01-02]", "does not take the any of"),
        ("published_at:>yesterday", "takes a date such as '2024-01-31'"),
        ("published_at:>2024-02-30", "'2024-02-30' is not a valid date"),
        ("published_at:>now-30days", "takes a date such as"),
        ("id:42", "'id' takes ids of 24 hexadecimal characters"),
        ("slug:abc:def", "Expected a value after slug:, found 'abc:'"),
        ("slug:a\\", "A backslash in a bare value escapes one of"),
        ("slug:a\x00b", "Control characters are not allowed"),
        ("slug:'a\x1bb'", "Control characters are not allowed"),
    ],
)
def test_refusals_say_what_is_wrong(text, message):
    with pytest.raises(NqlError) as raised:
        parse(text)
    assert message in str(raised.value)


def test_errors_point_at_the_character():
    with pytest.raises(NqlError) as raised:
        parse("tag:a+foo:b")
    assert raised.value.position == 6
    assert str(raised.value).endswith("(at character 7)")


def test_size_limits():
    with pytest.raises(NqlError, match="longer than"):
        parse("slug:" + "a" * 5000)
    with pytest.raises(NqlError, match="nest deeper than"):
        parse("(" * (MAX_DEPTH + 1) + "tag:a" + ")" * (MAX_DEPTH + 1))
    assert parse("(" * MAX_DEPTH + "tag:a" + ")" * MAX_DEPTH) == eq("tag", "a")
    with pytest.raises(NqlError, match="More than 50 conditions"):
        parse("+".join(["tag:a"] * 51))
    with pytest.raises(NqlError, match="More than 100 values"):
        parse("tag:[" + ",".join(["a"] * 101) + "]")
    with pytest.raises(NqlError, match="longer than 500 characters"):
        parse("slug:'" + "a" * 501 + "'")


def test_non_text_input_is_refused():
    with pytest.raises(NqlError, match="must be text"):
        parse(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "tag:news",
        "tag:-[a,b]+featured:true,(slug:x,slug:'y z')",
        "published_at:>'2024-01-01T10:00:00Z'+author:[jo+al]",
        "published_at:<=now-3M",
        "id:01000000000000000000002A",
        "slug:'it\\'s'",
    ],
)
def test_printed_text_parses_back_to_the_same_tree(text):
    tree = parse(text)
    assert parse(to_text(tree)) == tree


def test_printer_output_is_readable():
    assert (
        to_text(parse("tags:[a,b]+featured:true,slug:'x y'"))
        == "(tag:[a,b]+featured:true),slug:'x y'"
    )
    assert to_text(parse("slug:true")) == "slug:'true'"
