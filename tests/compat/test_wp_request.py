"""The WordPress request side: routes, list arguments and their errors, paging and its
headers, discovery links, comment submission, and our errors in WordPress's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.compat.wordpress import WordPressSite
from api.compat.wp_errors import WpError, from_problem, invalid_page_number, no_route, not_found
from api.compat.wp_request import (
    WpListArgs,
    WpRoute,
    alternate_link,
    api_link,
    comment_submission,
    item_context,
    list_args,
    match_route,
    page_url,
    paging,
    paging_headers,
    rest_route,
    values,
)

PRETTY = WordPressSite("S", "", "https://blog.example/", "https://api.example/wp-json/")
PLAIN = WordPressSite("S", "", "https://blog.example/", "https://api.example/?rest_route=/")


def q(**params):
    return {key: [value] if isinstance(value, str) else value for key, value in params.items()}


# --- routes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "route"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("wp/v2/posts/", "/wp/v2/posts"),
        ("//wp//v2/posts", "/wp/v2/posts"),
    ],
)
def test_rest_route_is_normalised(raw, route):
    assert rest_route(raw) == route


@pytest.mark.parametrize(
    ("route", "match"),
    [
        ("/", WpRoute("index")),
        ("/wp/v2", WpRoute("namespace")),
        ("/wp/v2/posts", WpRoute("posts")),
        ("/wp/v2/posts/42", WpRoute("posts", 42)),
        ("/wp/v2/comments/7/", WpRoute("comments", 7)),
        ("/wp/v2/categories", WpRoute("categories")),
        ("/wp/v2/types/post", WpRoute("types", "post")),
        ("/wp/v2/taxonomies", WpRoute("taxonomies")),
        ("/wp/v2/posts/hello", None),
        ("/wp/v2/posts/0", None),
        ("/wp/v2/posts/99999999999", None),
        ("/wp/v2/blocks", None),
        ("/wp/v3/posts", None),
        ("/oembed/1.0", None),
    ],
)
def test_routes(route, match):
    assert match_route(route) == match


# --- list arguments -------------------------------------------------------------------


def test_defaults_per_collection():
    assert list_args("posts", {}) == WpListArgs(
        resource="posts", order="desc", orderby="date", status=("publish",), type=None
    )
    assert list_args("tags", {}).orderby == "name" and list_args("tags", {}).order == "asc"
    comments = list_args("comments", {})
    assert (comments.orderby, comments.status, comments.type) == (
        "date_gmt",
        ("approve",),
        "comment",
    )


def test_lists_in_every_form_wordpress_clients_send():
    # wpapi sends the array form (qs arrayFormat brackets); browsers often send commas.
    for query in (
        q(tags="1,2"),
        {"tags[]": ["1", "2"]},
        {"tags[0]": ["1"], "tags[1]": ["2"]},
        {"tags": ["1", "2"]},
    ):
        assert list_args("posts", query).tags == (1, 2)
    assert values({"slug[]": ["a"], "slug": ["b"]}, "slug") == ["a", "b"]
    assert list_args("posts", q(slug="hello,world")).slug == ("hello", "world")


def test_every_argument_read():
    args = list_args(
        "posts",
        q(
            page="2",
            per_page="5",
            search="cats",
            author="3",
            categories="4",
            include="1,2",
            exclude="9",
            after="2024-01-01T00:00:00Z",
            before="2024-02-01T00:00:00",
            order="asc",
            orderby="title",
            sticky="true",
            context="embed",
        ),
    )
    assert (args.page, args.per_page, args.skip) == (2, 5, 5)
    assert (args.search, args.author, args.categories) == ("cats", (3,), (4,))
    assert (args.include, args.exclude, args.order, args.orderby) == ((1, 2), (9,), "asc", "title")
    assert args.after == datetime(2024, 1, 1, tzinfo=UTC)
    assert args.before == datetime(2024, 2, 1, tzinfo=UTC)
    assert (args.sticky, args.context) == (True, "embed")


def test_a_date_without_offset_is_in_the_site_time_zone():
    args = list_args("posts", q(after="2024-07-01T12:00:00"), timezone="Europe/Berlin")
    assert args.after == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)


def test_offset_overrides_page():
    assert list_args("posts", q(page="3", per_page="10")).skip == 20
    assert list_args("posts", q(page="3", per_page="10", offset="5")).skip == 5


def test_invalid_parameters_are_reported_together():
    with pytest.raises(WpError) as raised:
        list_args(
            "posts", q(per_page="101", page="0", include="a", order="sideways", after="2024-01-01")
        )
    error = raised.value
    assert (error.code, error.status) == ("rest_invalid_param", 400)
    body = error.body()
    assert body["message"] == "Invalid parameter(s): page, per_page, order, include, after"
    assert body["data"]["status"] == 400
    assert body["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)",
        "page": "page must be greater than or equal to 1",
        "order": "order is not one of asc, desc.",
        "include": "include[0] is not of type integer.",
        "after": "Invalid date.",
    }
    assert body["data"]["details"]["per_page"]["code"] == "rest_out_of_bounds"


@pytest.mark.parametrize(
    ("resource", "query", "param"),
    [
        ("posts", q(per_page="ten"), "per_page"),
        ("posts", q(orderby="menu_order"), "orderby"),
        ("pages", q(orderby="name"), "orderby"),
        ("posts", q(sticky="yes"), "sticky"),
        ("posts", q(status="published"), "status"),
        ("posts", q(search="x" * 201), "search"),
        ("posts", q(slug=",".join(["s"] * 101)), "slug"),
        ("posts", q(include="99999999999"), "include"),
        ("media", q(media_type="pdf"), "media_type"),
        ("comments", q(type="review"), "type"),
        ("tags", q(hide_empty="maybe"), "hide_empty"),
    ],
)
def test_bad_values(resource, query, param):
    with pytest.raises(WpError) as raised:
        list_args(resource, query)
    assert raised.value.code == "rest_invalid_param"
    assert param in raised.value.body()["data"]["params"]


def test_arguments_a_collection_does_not_take_are_ignored():
    assert list_args("users", q(tags="x", sticky="nonsense")) == WpListArgs(
        resource="users", order="asc", orderby="name"
    )


def test_what_only_staff_may_ask():
    with pytest.raises(WpError) as raised:
        list_args("posts", q(status="draft"))
    assert raised.value.body()["data"]["details"]["status"]["code"] == "rest_forbidden_status"
    assert list_args("posts", q(status="draft,publish"), staff=True).status == ("draft", "publish")
    with pytest.raises(WpError) as raised:
        list_args("comments", q(status="hold"))
    assert (raised.value.code, raised.value.status) == ("rest_forbidden_param", 401)
    assert list_args("comments", q(status="hold"), staff=True).status == ("hold",)
    with pytest.raises(WpError) as raised:
        list_args("users", q(context="edit"))
    assert (raised.value.code, raised.value.status) == ("rest_forbidden_context", 401)
    assert list_args("users", q(context="edit"), staff=True).context == "edit"
    # Pingbacks are public here (WordPress keeps them for editors).
    assert list_args("comments", q(type="pingback")).type == "pingback"


def test_ordering_rules():
    with pytest.raises(WpError) as raised:
        list_args("posts", q(orderby="relevance"))
    assert raised.value.code == "rest_no_search_term_defined"
    assert list_args("posts", q(orderby="relevance", search="x")).orderby == "relevance"
    with pytest.raises(WpError) as raised:
        list_args("posts", q(orderby="include"))
    assert raised.value.code == "rest_orderby_include_missing_include"


def test_item_context():
    assert item_context({}, "posts") == "view"
    assert item_context(q(context="embed"), "posts") == "embed"
    with pytest.raises(WpError):
        item_context(q(context="edit"), "posts")
    with pytest.raises(WpError):
        item_context(q(context="everything"), "posts")


# --- paging ---------------------------------------------------------------------------


def test_paging_arithmetic_and_headers():
    args = list_args("posts", q(page="2", per_page="10"))
    result = paging(args, 25)
    assert (result.total_pages, result.prev_page, result.next_page) == (3, 1, 3)
    headers = paging_headers(result, lambda page: f"https://x/p?page={page}")
    assert headers == {
        "X-WP-Total": "25",
        "X-WP-TotalPages": "3",
        "Link": '<https://x/p?page=1>; rel="prev", <https://x/p?page=3>; rel="next"',
    }
    last = paging(list_args("posts", q(page="3")), 25)
    assert "next" not in paging_headers(last, str)["Link"]
    first = paging(list_args("posts", {}), 5)
    assert "Link" not in paging_headers(first, str)


def test_an_empty_collection_has_no_pages_and_no_error():
    result = paging(list_args("posts", {}), 0)
    assert paging_headers(result, str) == {"X-WP-Total": "0", "X-WP-TotalPages": "0"}


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("posts", "rest_post_invalid_page_number"),
        ("media", "rest_post_invalid_page_number"),
        ("comments", "rest_comment_invalid_page_number"),
        ("tags", "rest_term_invalid_page_number"),
        ("users", "rest_user_invalid_page_number"),
    ],
)
def test_a_page_past_the_end_is_wordpress_error(resource, code):
    with pytest.raises(WpError) as raised:
        paging(list_args(resource, q(page="4", per_page="10")), 25)
    assert (raised.value.code, raised.value.status) == (code, 400)
    assert raised.value.message == (
        "The page number requested is larger than the number of pages available."
    )


def test_page_links_keep_the_request():
    query = {"tags[]": ["1", "2"], "per_page": ["5"], "page": ["2"], "_embed": [""]}
    assert page_url(PRETTY, "/wp/v2/posts", query, 3) == (
        "https://api.example/wp-json/wp/v2/posts?tags%5B%5D=1&tags%5B%5D=2&per_page=5&_embed=&page=3"
    )
    query = {"rest_route": ["/wp/v2/posts"], "page": ["1"]}
    assert page_url(PLAIN, "/wp/v2/posts", query, 2) == (
        "https://api.example/?rest_route=/wp/v2/posts&page=2"
    )


def test_discovery_links():
    assert api_link(PRETTY) == '<https://api.example/wp-json/>; rel="https://api.w.org/"'
    assert api_link(PLAIN) == '<https://api.example/?rest_route=/>; rel="https://api.w.org/"'
    assert alternate_link(PRETTY, "post", 4) == (
        '<https://api.example/wp-json/wp/v2/posts/4>; rel="alternate"; type="application/json"'
    )


# --- comment submission ---------------------------------------------------------------


def test_a_comment_form_submission():
    submission = comment_submission(
        {
            "post": 4,
            "content": "Nice post",
            "author_name": "Al",
            "author_email": "al@example.org",
            "author_url": "https://al.example/",
        }
    )
    assert (submission.post_id, submission.body, submission.parent_id) == (4, "Nice post", None)
    assert (submission.author_name, submission.author_email) == ("Al", "al@example.org")
    # Form fields arrive as text; content may be {"raw": ...}; parent 0 is top level.
    form = comment_submission({"post": "4", "parent": "7", "content": {"raw": "Reply"}})
    assert (form.post_id, form.parent_id, form.body, form.author_name) == (4, 7, "Reply", None)
    assert comment_submission({"post": 4, "parent": 0, "content": "x"}).parent_id is None


@pytest.mark.parametrize(
    ("payload", "code", "status"),
    [
        ({"content": "x"}, "rest_comment_invalid_post_id", 403),
        ({"post": "abc", "content": "x"}, "rest_comment_invalid_post_id", 403),
        ({"post": True, "content": "x"}, "rest_comment_invalid_post_id", 403),
        ({"post": 4, "content": "  "}, "rest_comment_content_invalid", 400),
        ({"post": 4}, "rest_comment_content_invalid", 400),
        ({"post": 4, "content": ["x"]}, "rest_comment_content_invalid", 400),
        ({"post": 4, "content": "x", "author": 1}, "rest_comment_invalid_author", 403),
        ({"post": 4, "content": "x", "parent": "first"}, "rest_invalid_param", 400),
        ({"post": 4, "content": "x", "author_name": 5}, "rest_invalid_param", 400),
        ([{"post": 4}], "rest_invalid_json", 400),
        ("post=4", "rest_invalid_json", 400),
        (None, "rest_invalid_json", 400),
    ],
)
def test_comment_submissions_refused_as_wordpress_refuses_them(payload, code, status):
    with pytest.raises(WpError) as raised:
        comment_submission(payload)
    assert (raised.value.code, raised.value.status) == (code, status)


# --- errors ---------------------------------------------------------------------------


def test_our_errors_in_wordpress_words():
    flood = from_problem(429, "flood", "Wait 15 s", headers={"Retry-After": "15"})
    assert flood.body() == {
        "code": "comment_flood",
        "message": "You are posting comments too quickly. Slow down.",
        "data": {"status": 429},
    }
    assert flood.headers == {"Retry-After": "15"}
    assert from_problem(409, "duplicate-comment").code == "comment_duplicate"
    assert from_problem(403, "comments-closed").code == "rest_comment_closed"
    invalid = from_problem(
        422, "invalid-input", errors={"body": ["Too long."], "parent_id": ["No."]}
    )
    assert (invalid.status, invalid.code) == (400, "rest_invalid_param")
    assert invalid.body()["data"]["params"] == {"content": "Too long.", "parent": "No."}
    assert from_problem(418, "teapot", "Short and stout").body()["message"] == "Short and stout"
    assert from_problem(503, "issuer-unavailable").code == "rest_internal_error"


def test_not_found_and_no_route():
    assert not_found("posts").body() == {
        "code": "rest_post_invalid_id",
        "message": "Invalid post ID.",
        "data": {"status": 404},
    }
    assert not_found("tags").code == "rest_term_invalid"
    assert no_route().body()["code"] == "rest_no_route"
    assert invalid_page_number("categories").code == "rest_term_invalid_page_number"
