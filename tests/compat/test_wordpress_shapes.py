"""Our objects in WordPress's shapes, field by field against what WordPress itself
sends (tests/compat/wordpress_fixtures.py, transcribed from WordPress's generated
fixture), plus the relations that fixture leaves out (author, featured media, replies
to comments), following the controllers' prepare_links()."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from api.compat.wordpress import (
    EMBED_FIELDS,
    WordPressSite,
    wp_category,
    wp_comment,
    wp_dates,
    wp_media,
    wp_page,
    wp_post,
    wp_tag,
    wp_taxonomies,
    wp_types,
    wp_user,
)
from api.compat.wp_index import namespace_index, wp_index
from api.compat.wp_render import render
from tests.compat import wordpress_fixtures as wp

FIXTURE_SITE = WordPressSite(
    **wp.SITE,
    author_link="{home}?author={id}",
    tag_link="{home}?tag={slug}",
    category_link="{home}?cat={id}",
    categories_are_all_tags=False,
)
PRETTY_SITE = WordPressSite(
    name="Marginalia",
    description="A headless CMS",
    home="https://blog.example/",
    api_root="https://api.example/wp-json/",
)
STAMP = "2017-02-14T00:00:00Z"


def _same_url(url: str) -> tuple:
    # `?rest_route=/wp/v2/x` and `?rest_route=%2Fwp%2Fv2%2Fx` are one URL.
    parts = urlsplit(url)
    return parts.scheme, parts.netloc, parts.path, tuple(parse_qsl(parts.query))


def _comparable(value):
    if isinstance(value, dict):
        return {
            key: _same_url(item)
            if key in ("href", "self") and isinstance(item, str)
            else _comparable(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


def assert_as_wordpress_sends(ours: dict, theirs: dict, *, differing: tuple[str, ...] = ()):
    """Every field WordPress sends, with WordPress's value, except `meta` (no meta is
    registered here: `[]`) and the named, documented differences."""
    assert set(ours) == set(theirs)
    assert ours["meta"] == []
    skip = {"meta", *differing}
    assert _comparable({k: v for k, v in ours.items() if k not in skip}) == _comparable(
        {k: v for k, v in theirs.items() if k not in skip}
    )


def our_post(**overrides) -> dict:
    post = {
        "id": 4,
        "slug": "restapi-client-fixture-post",
        "title": "REST API Client Fixture: Post",
        "excerpt": "REST API Client Fixture: Post",
        "body_html": "<p>Updated post content.</p>\n",
        "status": "published",
        "published_at": STAMP,
        "created_at": STAMP,
        "updated_at": STAMP,
        "tags": [{"id": 1, "slug": "uncategorized", "name": "Uncategorized", "kind": "category"}],
        "comments_open": True,
        "url": "http://example.org/?p=4",
        "revision_count": 2,
        "latest_revision_id": 6,
    }
    return post | overrides


def test_post_as_wordpress_sends_it():
    assert_as_wordpress_sends(render(wp_post(our_post(), FIXTURE_SITE)), wp.POST)


def test_page_as_wordpress_sends_it():
    page = our_post(
        id=7,
        slug="restapi-client-fixture-page",
        title="REST API Client Fixture: Page",
        excerpt="REST API Client Fixture: Page",
        body_html="<p>Updated page content.</p>\n",
        url="http://example.org/?page_id=7",
        comments_open=False,
        latest_revision_id=9,
        tags=[],
    )
    assert_as_wordpress_sends(render(wp_page(page, FIXTURE_SITE)), wp.PAGE)


def test_media_as_wordpress_sends_it():
    media = {
        "id": 10,
        "slug": "restapi-client-fixture-attachment",
        "title": "REST API Client Fixture: Attachment",
        "url": "http://example.org/wp-content/uploads//tmp/canola.jpg",
        "content_type": "image/jpeg",
        "caption": "A sample caption",
        "alt": "",
        "created_at": STAMP,
    }
    ours = render(wp_media(media, FIXTURE_SITE))
    # No attachment pages and no comments on images here: links and guid are the file.
    differing = ("guid", "link", "comment_status", "description")
    assert_as_wordpress_sends(ours, wp.MEDIA, differing=differing)
    assert ours["guid"] == {"rendered": media["url"]}
    assert ours["link"] == media["url"]
    assert ours["comment_status"] == "closed"
    assert ours["description"] == {"rendered": ""}


def test_user_as_wordpress_sends_it():
    author = {"id": 1, "slug": "admin", "name": "admin", "website": "http://example.org", "bio": ""}
    ours = render(wp_user(author | {"email": "admin@example.org"}, FIXTURE_SITE))
    assert_as_wordpress_sends(ours, wp.USER, differing=("avatar_urls",))
    # WordPress hashes the email into Gravatar URLs; we publish no hash of an email.
    assert set(ours["avatar_urls"]) == set(wp.USER["avatar_urls"])
    assert all("d=mm" in url and "avatar/?" in url for url in ours["avatar_urls"].values())
    assert "admin@example.org" not in str(ours)


def test_an_author_avatar_serves_every_size():
    author = {"id": 1, "slug": "jo", "name": "Jo", "avatar_url": "https://cdn.example/jo.png"}
    assert render(wp_user(author, PRETTY_SITE))["avatar_urls"] == {
        "24": "https://cdn.example/jo.png",
        "48": "https://cdn.example/jo.png",
        "96": "https://cdn.example/jo.png",
    }


def test_tag_and_category_as_wordpress_sends_them():
    tag = {
        "id": 2,
        "slug": "restapi-client-fixture-tag",
        "name": "REST API Client Fixture: Tag",
        "description": "REST API Client Fixture: Tag",
        "post_count": 0,
    }
    assert_as_wordpress_sends(render(wp_tag(tag, FIXTURE_SITE)), wp.TAG)
    category = {"id": 1, "slug": "uncategorized", "name": "Uncategorized", "post_count": 1}
    assert_as_wordpress_sends(render(wp_category(category, FIXTURE_SITE)), wp.CATEGORY)


def test_term_names_are_entity_encoded_as_wordpress_keeps_them():
    tag = {"id": 3, "slug": "news-views", "name": "News & <Views>"}
    assert render(wp_tag(tag, PRETTY_SITE))["name"] == "News &amp; &lt;Views&gt;"


def test_comment_as_wordpress_sends_it():
    comment = {
        "id": 2,
        "type": "comment",
        "status": "approved",
        "body_html": "<p>This is a comment</p>\n",
        "author_name": "Internet of something or other",
        "author_url": "http://lights.example.org/",
        "parent_id": None,
        "created_at": STAMP,
    }
    ours = render(wp_comment(comment, FIXTURE_SITE, post_id=4, post_url="http://example.org/?p=4"))
    assert_as_wordpress_sends(ours, wp.COMMENT, differing=("author_avatar_urls",))
    assert set(ours["author_avatar_urls"]) == {"24", "48", "96"}


def test_replies_pending_comments_and_pingbacks():
    reply = {
        "id": 9,
        "type": "pingback",
        "status": "pending",
        "body_html": "<p>[…] linked […]</p>",
        "author_name": "Latest Updates",
        "author_url": None,
        "parent_id": 2,
        "created_at": STAMP,
    }
    resource = wp_comment(
        reply, PRETTY_SITE, post_id=4, post_url="https://blog.example/hello/", has_children=True
    )
    body = render(resource)
    assert (body["parent"], body["status"], body["type"], body["author_url"]) == (
        2,
        "hold",
        "pingback",
        "",
    )
    assert body["link"] == "https://blog.example/hello/#comment-9"
    assert body["_links"]["in-reply-to"] == [
        {"embeddable": True, "href": "https://api.example/wp-json/wp/v2/comments/2"}
    ]
    assert body["_links"]["children"] == [
        {"href": "https://api.example/wp-json/wp/v2/comments?parent=9"}
    ]


def test_types_and_taxonomies_as_wordpress_sends_them():
    for slug, resource in wp_types(FIXTURE_SITE).items():
        assert _comparable(render(resource)) == _comparable(wp.TYPES[slug])
    for slug, resource in wp_taxonomies(FIXTURE_SITE).items():
        assert _comparable(render(resource)) == _comparable(wp.TAXONOMIES[slug])


def test_author_and_featured_media_links_are_embeddable():
    post = our_post(author={"id": 2, "slug": "jo", "name": "Jo"})
    links = render(wp_post(post, PRETTY_SITE, featured_media=10))["_links"]
    assert links["author"] == [
        {"embeddable": True, "href": "https://api.example/wp-json/wp/v2/users/2"}
    ]
    assert links["wp:featuredmedia"] == [
        {"embeddable": True, "href": "https://api.example/wp-json/wp/v2/media/10"}
    ]
    assert links["replies"] == [
        {"embeddable": True, "href": "https://api.example/wp-json/wp/v2/comments?post=4"}
    ]
    assert list(links) == [
        "self", "collection", "about", "author", "replies", "version-history",
        "predecessor-version", "wp:featuredmedia", "wp:attachment", "wp:term", "curies",
    ]  # fmt: skip


def test_text_becomes_safe_html():
    post = our_post(title='<script>alert(1)</script> & "quotes"', excerpt="a < b")
    body = render(wp_post(post, PRETTY_SITE))
    assert body["title"]["rendered"] == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"
    )
    assert body["excerpt"]["rendered"] == "<p>a &lt; b</p>\n"
    assert render(wp_post(our_post(excerpt=""), PRETTY_SITE))["excerpt"]["rendered"] == ""


def test_custom_excerpt_wins_over_the_generated_one():
    post = our_post(custom_excerpt="Hand written", excerpt="Generated")
    assert render(wp_post(post, PRETTY_SITE))["excerpt"]["rendered"] == "<p>Hand written</p>\n"


def test_dates_are_local_time_and_gmt_without_offsets():
    berlin = WordPressSite(
        "B", "", "https://b.example/", "https://b.example/wp-json/", "Europe/Berlin"
    )
    post = our_post(published_at="2024-07-01T10:00:00Z", updated_at="2024-12-01T10:00:00Z")
    body = render(wp_post(post, berlin))
    assert (body["date"], body["date_gmt"]) == ("2024-07-01T12:00:00", "2024-07-01T10:00:00")
    assert (body["modified"], body["modified_gmt"]) == (
        "2024-12-01T11:00:00",
        "2024-12-01T10:00:00",
    )
    assert wp_dates(None, "UTC") == (None, None)


def test_drafts_are_dated_by_creation():
    body = render(wp_post(our_post(status="draft", published_at=None), PRETTY_SITE))
    assert (body["status"], body["date_gmt"]) == ("draft", "2017-02-14T00:00:00")
    assert render(wp_post(our_post(status="scheduled"), PRETTY_SITE))["status"] == "future"


@pytest.mark.parametrize(
    ("all_tags", "categories", "tags"),
    [(True, [1, 5], [1, 5]), (False, [1], [5])],
)
def test_categories_are_category_tags_or_all_tags(all_tags, categories, tags):
    site = WordPressSite("S", "", "https://s.example/", "https://s.example/wp-json/")
    site = WordPressSite(**{**site.__dict__, "categories_are_all_tags": all_tags})
    post = our_post(
        tags=[
            {"id": 1, "slug": "news", "name": "News", "kind": "category"},
            {"id": 5, "slug": "python", "name": "Python"},
            {"slug": "summary-only", "name": "No id"},
        ]
    )
    body = render(wp_post(post, site))
    assert (body["categories"], body["tags"]) == (categories, tags)


def test_featured_is_sticky():
    assert render(wp_post(our_post(featured=True), PRETTY_SITE))["sticky"] is True
    assert render(wp_post(our_post(), PRETTY_SITE))["sticky"] is False


def test_media_details_list_the_sized_copies():
    media = {
        "id": 3,
        "url": "https://cdn.example/m/cat.jpg",
        "content_type": "image/jpeg",
        "width": 2000,
        "height": 1000,
        "size": 123456,
        "variants": [{"width": 600, "height": 300, "url": "https://cdn.example/m/cat-600.jpg"}],
        "created_at": STAMP,
    }
    details = render(wp_media(media, PRETTY_SITE))["media_details"]
    assert details["width"] == 2000
    assert details["filesize"] == 123456
    assert details["sizes"]["w600"] == {
        "file": "cat-600.jpg",
        "width": 600,
        "height": 300,
        "mime_type": "image/jpeg",
        "source_url": "https://cdn.example/m/cat-600.jpg",
    }
    assert details["sizes"]["full"]["source_url"] == media["url"]


def test_embed_context_keeps_the_embed_fields_and_links():
    for resource in (
        wp_post(our_post(), PRETTY_SITE),
        wp_user({"id": 1, "slug": "jo", "name": "Jo"}, PRETTY_SITE),
        wp_tag({"id": 2, "slug": "t", "name": "T"}, PRETTY_SITE),
    ):
        body = render(resource, context="embed")
        assert set(body) == set(EMBED_FIELDS[resource.kind]) | {"_links"}


def test_index_as_wordpress_sends_it():
    index = wp_index(FIXTURE_SITE)
    assert {key: index[key] for key in wp.INDEX_TOP} == wp.INDEX_TOP
    assert "wp/v2" in index["namespaces"]
    assert index["routes"]["/"] == wp.INDEX_ROUTE
    assert index["routes"]["/wp/v2"] == wp.NAMESPACE_ROUTE
    get_args = index["routes"]["/wp/v2/posts"]["endpoints"][0]["args"]
    assert {name: get_args[name] for name in wp.POSTS_ARGS} == wp.POSTS_ARGS


def test_index_lists_what_wpapi_needs_for_every_route_we_serve():
    routes = wp_index(PRETTY_SITE)["routes"]
    for resource in ("posts", "pages", "media", "users", "tags", "categories", "comments"):
        collection = routes[f"/wp/v2/{resource}"]
        assert collection["namespace"] == "wp/v2"
        assert "GET" in collection["methods"]
        assert collection["_links"]["self"] == [
            {"href": f"https://api.example/wp-json/wp/v2/{resource}"}
        ]
        get = collection["endpoints"][0]
        assert get["methods"] == ["GET"] and {"page", "per_page", "search"} <= set(get["args"])
        item = routes[f"/wp/v2/{resource}/(?P<id>[\\d]+)"]
        assert item["endpoints"][0]["args"]["id"]["type"] == "integer"
    # wpapi makes .forPost() from `post`, .tags() / .categories() from those names.
    assert "post" in routes["/wp/v2/comments"]["endpoints"][0]["args"]
    assert {"tags", "categories", "author", "sticky"} <= set(
        routes["/wp/v2/posts"]["endpoints"][0]["args"]
    )
    assert routes["/wp/v2/comments"]["methods"] == ["GET", "POST"]
    assert set(routes["/wp/v2/comments"]["endpoints"][1]["args"]) >= {
        "post", "parent", "author_name", "author_email", "author_url", "content",
    }  # fmt: skip


def test_index_in_a_named_time_zone():
    from datetime import UTC, datetime

    site = WordPressSite(
        "S", "", "https://s.example/", "https://s.example/wp-json/", "Asia/Kolkata"
    )
    index = wp_index(site, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert (index["gmt_offset"], index["timezone_string"]) == (5.5, "Asia/Kolkata")
    assert (index["url"], index["home"]) == ("https://s.example", "https://s.example")


def test_namespace_index():
    body = namespace_index(PRETTY_SITE)
    assert body["namespace"] == "wp/v2"
    assert "/wp/v2/posts" in body["routes"]
    assert body["_links"]["up"] == [{"href": "https://api.example/wp-json/"}]
