"""Our objects in the Ghost Content API's shapes, and its request options, against
Ghost's documented examples and its own snapshots (tests/compat/ghost_fixtures.py)."""

from __future__ import annotations

import re

import pytest

from api.compat.ghost import (
    GhostSite,
    browse_body,
    ghost_author,
    ghost_page,
    ghost_post,
    ghost_tag,
    ghost_time,
    pick_fields,
    read_body,
    reading_time,
    settings_body,
)
from api.compat.ids import Kind, content_uuid, ghost_id, parse_ghost_id
from tests.compat import ghost_fixtures as ghost

DOCS_SITE = GhostSite(title="Ghost", description="Thoughts", url="https://docs.ghost.io/")
DEMO_SITE = GhostSite(title="Ghost", description="Thoughts", url="https://demo.ghost.io/")
GHOST_ID = re.compile(r"^[0-9a-f]{24}$")
UUID = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")

AUTHOR = {
    "id": 1,
    "slug": "ghost",
    "name": "Ghost",
    "avatar_url": "https://demo.ghost.io/content/images/2017/07/ghost-icon.png",
    "bio": "The professional publishing platform",
    "website": "https://ghost.org",
    "post_count": 7,
    "email": "staff@example.org",
}
TAG = {
    "id": 2,
    "slug": "getting-started",
    "name": "Getting Started",
    "description": "",
    "post_count": 3,
}
POST = {
    "id": 42,
    "slug": "welcome-short",
    "title": "Welcome",
    "body_html": "<p>👋 Welcome, it's great to have you here.</p>",
    "excerpt": "👋 Welcome, it's great to have you here.",
    "feature_image": "https://static.ghost.org/v3.0.0/images/welcome-to-ghost.png",
    "status": "published",
    "created_at": "2019-11-26T02:43:13Z",
    "updated_at": "2019-11-26T02:44:17Z",
    "published_at": "2019-11-26T02:44:17Z",
    "url": "https://docs.ghost.io/welcome-short/",
    "author": AUTHOR,
    "tags": [TAG],
}
DERIVED = ("id", "uuid", "comment_id")  # ours, in Ghost's format (checked separately)


def test_post_as_ghost_documents_it():
    ours = ghost_post(POST, DOCS_SITE)
    assert set(ours) == ghost.POST_KEYS
    for key, value in ghost.DOCS_POST.items():
        if key not in DERIVED:
            assert ours[key] == value, key
    assert GHOST_ID.match(ours["id"]) and ours["comment_id"] == ours["id"]
    assert UUID.match(ours["uuid"])
    # Fields newer than the documented example, as a current Ghost sends them.
    assert (ours["comments"], ours["frontmatter"]) == (False, None)


def test_ids_are_ghost_ids_that_read_back():
    ours = ghost_post(POST, DOCS_SITE)
    assert parse_ghost_id(ours["id"], Kind.POST) == 42
    assert parse_ghost_id(ours["id"], Kind.PAGE) is None
    assert parse_ghost_id(ours["id"].upper(), Kind.POST) == 42
    assert parse_ghost_id("5ddc9141c35e7700383b2937", Kind.POST) is None
    assert parse_ghost_id("01" + "0" * 22, Kind.POST) is None
    assert parse_ghost_id("not-an-id", Kind.POST) is None
    assert ghost_id(Kind.TAG, 2) == "040000000000000000000002"
    with pytest.raises(ValueError):
        ghost_id(Kind.POST, 0)
    # A stable uuid per site, kind and id; a post's own uuid wins.
    assert ours["uuid"] == content_uuid(Kind.POST, 42, DOCS_SITE.url)
    assert content_uuid(Kind.POST, 42, "https://other.example/") != ours["uuid"]
    assert ghost_post(POST | {"uuid": "u-1"}, DOCS_SITE)["uuid"] == "u-1"


def test_relations_come_with_include():
    bare = ghost_post(POST, DEMO_SITE)
    assert not {"authors", "tags", "primary_author", "primary_tag"} & set(bare)
    full = ghost_post(POST, DEMO_SITE, include={"authors", "tags"})
    assert set(full) == ghost.POST_KEYS | {"authors", "primary_author", "tags", "primary_tag"}
    assert full["primary_author"] == full["authors"][0]
    assert full["primary_tag"] == full["tags"][0]
    author, tag = full["authors"][0], full["tags"][0]
    assert set(author) == ghost.AUTHOR_KEYS and set(tag) == ghost.TAG_KEYS
    for key, value in ghost.DOCS_AUTHOR.items():
        if key not in ("id", "facebook", "twitter"):  # no social profiles here
            assert author[key] == value, key
    for key, value in ghost.DOCS_TAG.items():
        if key != "id":
            assert tag[key] == value, key
    assert "staff@example.org" not in str(full)


def test_primary_tag_is_the_first_public_tag():
    tags = [{"id": 9, "slug": "hash-internal", "name": "#internal", "visibility": "internal"}, TAG]
    shaped = ghost_post(POST | {"tags": tags}, DEMO_SITE, include={"tags"})
    assert [tag["slug"] for tag in shaped["tags"]] == ["hash-internal", "getting-started"]
    assert shaped["primary_tag"]["slug"] == "getting-started"
    empty = ghost_post(POST | {"tags": [], "author": None}, DEMO_SITE, include={"tags", "authors"})
    assert (empty["tags"], empty["primary_tag"], empty["authors"], empty["primary_author"]) == (
        [],
        None,
        [],
        None,
    )


def test_formats():
    both = ghost_post(POST, DOCS_SITE, formats=("html", "plaintext"))
    assert both["plaintext"] == "👋 Welcome, it's great to have you here."
    only_text = ghost_post(POST, DOCS_SITE, formats=("plaintext",))
    assert "html" not in only_text and "plaintext" in only_text
    assert (
        ghost_post(POST | {"plaintext": "Given"}, DOCS_SITE, formats=("plaintext",))["plaintext"]
        == "Given"
    )


def test_page_as_ghost_sends_it():
    page = ghost_page(POST, DOCS_SITE)
    assert set(page) == ghost.PAGE_KEYS
    assert parse_ghost_id(page["id"], Kind.PAGE) == 42


def test_authors_and_tags_as_ghost_sends_them():
    author = ghost_author(AUTHOR, DEMO_SITE)
    assert set(author) == ghost.AUTHOR_KEYS
    assert ghost_author(AUTHOR, DEMO_SITE, include={"count.posts"})["count"] == {"posts": 7}
    tag = ghost_tag(TAG, DEMO_SITE)
    assert set(tag) == ghost.TAG_KEYS
    assert tag["description"] is None  # empty is null in Ghost
    assert ghost_tag(TAG, DEMO_SITE, include={"count.posts"})["count"] == {"posts": 3}
    assert parse_ghost_id(author["id"], Kind.AUTHOR) == 1
    assert parse_ghost_id(tag["id"], Kind.TAG) == 2


def test_settings_as_ghost_sends_them():
    body = settings_body(DEMO_SITE)
    assert body["meta"] == {}
    assert set(body["settings"]) == ghost.SETTINGS_KEYS
    assert (body["settings"]["title"], body["settings"]["url"]) == (
        "Ghost",
        "https://demo.ghost.io/",
    )


def test_fields_keep_what_is_asked_and_the_relations_included():
    shaped = ghost_post(POST, DEMO_SITE, include={"tags"})
    assert pick_fields(shaped, ("title", "url", "nonsense")) == {
        "title": "Welcome",
        "url": POST["url"],
        "tags": shaped["tags"],
        "primary_tag": shaped["primary_tag"],
    }
    assert pick_fields(shaped, None) is shaped


def test_bodies():
    assert browse_body("posts", [{"id": "x"}], {"page": 1}) == {
        "posts": [{"id": "x"}],
        "meta": {"pagination": {"page": 1}},
    }
    # One element and no meta: @tryghost/content-api hands the client the object.
    assert read_body("posts", {"id": "x"}) == {"posts": [{"id": "x"}]}


def test_ghost_timestamps():
    assert ghost_time("2019-11-26T02:43:13Z") == "2019-11-26T02:43:13.000+00:00"
    assert ghost_time("2019-11-26T04:43:13.250+02:00") == "2019-11-26T02:43:13.250+00:00"
    assert ghost_time(None) is None


def test_reading_time_as_ghost_counts_it():
    assert reading_time("") == 0
    assert reading_time("<p>" + "word " * 275 + "</p>") == 1
    assert reading_time("<p>" + "word " * 1375 + "</p>") == 5
    # 12 s for the first image, 11 for the second, ... at least 3 s each.
    assert reading_time('<img src="a">' * 10) == 1  # 75 s
    assert reading_time("<p>x</p>", feature_image=True) == 0  # 12 s
    assert ghost_post(POST | {"reading_time": 7}, DOCS_SITE)["reading_time"] == 7


def test_excerpts():
    assert ghost_post(POST | {"custom_excerpt": "Mine"}, DOCS_SITE)["excerpt"] == "Mine"
    long_text = "<p>" + "a" * 600 + "</p>"
    generated = ghost_post(POST | {"excerpt": "", "body_html": long_text}, DOCS_SITE)["excerpt"]
    assert generated == "a" * 500
