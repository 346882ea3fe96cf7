"""Ghost Content API requests: key, version, browse and read options, pagination,
errors; checked against Ghost's snapshots (tests/compat/ghost_fixtures.py)."""

from __future__ import annotations

import pytest

from api.compat.ghost_request import (
    ALL_CAP,
    CONTENT_VERSION,
    GhostBrowseArgs,
    GhostError,
    browse_args,
    content_key,
    content_version,
    from_problem,
    not_found,
    pagination,
    read_args,
)
from api.compat.nql import Comparison, Op
from tests.compat import ghost_fixtures as ghost

KEY = "22444f78447824223cefc48062"


def test_a_request_without_key_is_refused_as_ghost_refuses_it():
    with pytest.raises(GhostError) as raised:
        content_key({})
    error = raised.value
    assert error.status == 403
    body = error.body()["errors"][0]
    assert {key: value for key, value in body.items() if key != "id"} == ghost.NO_KEY_ERROR
    assert len(body["id"]) == 36


@pytest.mark.parametrize("key", ["abc", KEY.upper(), KEY + "0", "g" * 26])
def test_a_malformed_key_is_unknown(key):
    with pytest.raises(GhostError) as raised:
        content_key({"key": key})
    assert (raised.value.status, raised.value.type) == (401, "UnauthorizedError")
    assert raised.value.message == "Unknown Content API Key"


def test_a_well_formed_key_is_handed_on():
    assert content_key({"key": KEY}) == KEY
    assert content_key({"key": ["old", KEY]}) == KEY


@pytest.mark.parametrize("asked", [None, "v5.0", "v6.0", "v3", "canary", "garbage"])
def test_content_version(asked):
    assert content_version(asked) == CONTENT_VERSION == "v5.0"


def test_browse_defaults():
    args = browse_args("posts", {})
    assert args == GhostBrowseArgs(order=(("published_at", True),))
    assert (args.limit, args.page, args.skip, args.formats) == (15, 1, 0, ("html",))
    assert browse_args("tags", {}).order == (("name", False),)


def test_browse_options_as_the_client_sends_them():
    # @tryghost/content-api joins arrays with commas and always adds `key`.
    args = browse_args(
        "posts",
        {
            "key": KEY,
            "include": "tags,authors",
            "fields": "title,url,slug",
            "formats": "html,plaintext",
            "filter": "tag:news+featured:true",
            "limit": "5",
            "page": "3",
            "order": "published_at asc, title DESC",
        },
    )
    assert args.include == {"tags", "authors"}
    assert args.fields == ("title", "url", "slug")
    assert args.formats == ("html", "plaintext")
    assert args.filter is not None
    assert (args.limit, args.page, args.skip) == (5, 3, 10)
    assert args.order == (("published_at", False), ("title", True))


def test_read_options_tolerate_what_the_client_adds():
    # On a read by slug the client repeats `slug` as a query parameter.
    args = read_args("posts", {"key": KEY, "slug": "welcome", "include": "authors"})
    assert args.include == {"authors"} and args.fields is None


def test_limit():
    assert browse_args("posts", {"limit": "500"}).limit == 100
    everything = browse_args("posts", {"limit": "all"})
    assert (everything.limit, everything.limit_all) == (ALL_CAP, True)
    assert browse_args("posts", {"limit": "ALL"}, all_cap=50).limit == 50


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "ten"},
        {"limit": "-5"},
        {"page": "0"},
        {"page": "1.5"},
        {"include": "comments"},
        {"include": "count.posts"},
        {"order": "popularity desc"},
        {"order": "title sideways"},
        {"order": "title asc desc"},
    ],
)
def test_invalid_options_are_validation_errors(query):
    with pytest.raises(GhostError) as raised:
        browse_args("posts", query)
    assert (raised.value.status, raised.value.type) == (422, "ValidationError")
    assert raised.value.message == "Validation error, cannot list posts."


def test_includes_per_resource():
    assert browse_args("tags", {"include": "count.posts"}).include == {"count.posts"}
    with pytest.raises(GhostError):
        browse_args("tags", {"include": "authors"})


def test_formats_ghost_does_not_serve_are_dropped():
    assert read_args("pages", {"formats": "mobiledoc,lexical"}).formats == ("html",)
    assert read_args("pages", {"formats": "plaintext,lexical"}).formats == ("plaintext",)


def test_fields_names_outside_the_shape_are_ignored():
    assert read_args("posts", {"fields": "title,DROP TABLE,url"}).fields == ("title", "url")
    assert read_args("posts", {"fields": ","}).fields is None


def test_filters_are_parsed_against_the_resource():
    assert browse_args("tags", {"filter": "slug:[news,tech]"}).filter == Comparison(
        "slug", Op.IN, ("news", "tech")
    )
    with pytest.raises(GhostError) as raised:
        browse_args("tags", {"filter": "featured:true"})
    error = raised.value
    assert (error.status, error.type, error.message) == (
        400,
        "BadRequestError",
        "Error parsing filter",
    )
    assert "Unknown filter field 'featured'" in error.context
    with pytest.raises(GhostError) as raised:
        browse_args("posts", {"filter": "tag:(news"})
    assert raised.value.status == 400


def test_pagination_as_ghost_answers_it():
    assert pagination(browse_args("posts", {}), 11) == ghost.PAGINATION_ONE_PAGE
    assert pagination(browse_args("tags", {"limit": "3"}), 56) == ghost.PAGINATION_LIMIT_3
    assert pagination(browse_args("tags", {"limit": "all"}), 4) == ghost.PAGINATION_ALL


def test_pagination_edges():
    assert pagination(browse_args("posts", {}), 0) == {
        "page": 1, "limit": 15, "pages": 1, "total": 0, "next": None, "prev": None,
    }  # fmt: skip
    last = pagination(browse_args("posts", {"limit": "10", "page": "3"}), 25)
    assert (last["next"], last["prev"], last["pages"]) == (None, 2, 3)
    # More than the cap: the truth, and a next page to follow.
    capped = pagination(browse_args("posts", {"limit": "all"}, all_cap=1000), 2500)
    assert capped == {"page": 1, "limit": 1000, "pages": 3, "total": 2500, "next": 2, "prev": None}


def test_errors_in_ghost_words():
    assert not_found("posts").body()["errors"][0]["message"] == "Post not found."
    assert not_found("tags").type == "NotFoundError"
    assert from_problem(429, "slow down", {"Retry-After": "3"}).type == "TooManyRequestsError"
    assert from_problem(429, "slow down", {"Retry-After": "3"}).headers == {"Retry-After": "3"}
    assert from_problem(404).message == "Resource not found"
    server = from_problem(500, "secret stack trace")
    assert server.type == "InternalServerError" and "secret" not in str(server.body())
