"""WordPress's own Theme Unit Test export, read as it is.

Every count the reader gives is checked against a count worked out independently, with
plain regular expressions over the file's text (no XML parser), and against the numbers
the fixture's README states.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from api.transfer.wordpress import (
    WxrAttachment,
    WxrAuthor,
    WxrPost,
    WxrSite,
    WxrTerm,
    read_wordpress,
)

# What shared/fixtures/wordpress/README.md says the file holds.
README_COUNTS = {
    "authors": 2,
    "categories": 68,
    "tags": 110,
    "posts": 58,
    "posts published": 56,
    "posts future": 1,
    "posts draft": 1,
    "pages": 21,
    "attachments": 37,
    "menu items": 70,
    "comments": 33,
    "comments approved": 26,
    "comments pending": 3,
    "trackbacks": 2,
    "pingbacks": 2,
    "replies": 10,
}


def _value(block: str, name: str) -> str:
    """<wp:name>v</wp:name>, <wp:name><![CDATA[v]]></wp:name> or <wp:name/>."""
    found = re.search(
        rf"<wp:{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</wp:{name}>|<wp:{name}/>", block, re.S
    )
    return (found.group(1) or "").strip() if found else ""


def _blocks(text: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", text, re.S)


def counts_by_regex(text: str) -> dict:
    items = _blocks(text, "item")
    types = Counter((_value(i, "post_type"), _value(i, "status")) for i in items)
    comments = [c for i in items for c in _blocks(i, "wp:comment")]
    categories = {_value(b, "category_nicename") for b in _blocks(text, "wp:category")}
    tags = {_value(b, "tag_slug") for b in _blocks(text, "wp:tag")}
    for term in _blocks(text, "wp:term"):
        taxonomy = _value(term, "term_taxonomy")
        if taxonomy == "category":
            categories.add(_value(term, "term_slug"))
        elif taxonomy == "post_tag":
            tags.add(_value(term, "term_slug"))
    return {
        "authors": len(_blocks(text, "wp:author")),
        "categories": len(categories),
        "tags": len(tags),
        "types": types,
        "comments": Counter(
            (_value(c, "comment_approved"), _value(c, "comment_type") or "comment")
            for c in comments
        ),
        "reply links": {
            (int(_value(c, "comment_id")), int(_value(c, "comment_parent")))
            for c in comments
            if _value(c, "comment_parent") not in ("", "0")
        },
        "thumbnails": {
            int(_value(i, "post_id")): int(t)
            for i in items
            if (t := _thumbnail_id_by_regex(i)) is not None
        },
    }


def _thumbnail_id_by_regex(item: str) -> str | None:
    for meta in _blocks(item, "wp:postmeta"):
        if _value(meta, "meta_key") == "_thumbnail_id":
            return _value(meta, "meta_value")
    return None


def counts_by_reader(records: list) -> dict:
    posts = [r for r in records if isinstance(r, WxrPost)]
    attachments = [r for r in records if isinstance(r, WxrAttachment)]
    comments = [c for r in posts + attachments for c in r.comments]
    types = Counter((p.post_type, p.status) for p in posts)
    types.update(("attachment", "inherit") for _ in attachments)
    terms = [r for r in records if isinstance(r, WxrTerm)]
    return {
        "authors": sum(isinstance(r, WxrAuthor) for r in records),
        "categories": sum(t.kind == "category" for t in terms),
        "tags": sum(t.kind == "tag" for t in terms),
        "types": types,
        "comments": Counter((c.approved, c.type) for c in comments),
        "reply links": {(c.comment_id, c.parent) for c in comments if c.parent is not None},
        "thumbnails": {p.post_id: p.thumbnail_id for p in posts if p.thumbnail_id is not None},
    }


@pytest.fixture(scope="module")
def records(wxr_path) -> list:
    return list(read_wordpress(wxr_path))


def test_every_count_matches_the_file_read_without_a_parser(records, wxr_bytes):
    expected = counts_by_regex(wxr_bytes.decode("utf-8"))
    assert counts_by_reader(records) == expected


def test_counts_match_what_the_fixture_says_it_holds(records):
    got = counts_by_reader(records)
    types, comments = got["types"], got["comments"]
    real_comments = Counter({k: v for k, v in comments.items() if k[1] == "comment"})
    assert {
        "authors": got["authors"],
        "categories": got["categories"],
        "tags": got["tags"],
        "posts": sum(n for (kind, _), n in types.items() if kind == "post"),
        "posts published": types["post", "publish"],
        "posts future": types["post", "future"],
        "posts draft": types["post", "draft"],
        "pages": sum(n for (kind, _), n in types.items() if kind == "page"),
        "attachments": types["attachment", "inherit"],
        "menu items": sum(n for (kind, _), n in types.items() if kind == "nav_menu_item"),
        "comments": sum(comments.values()),
        "comments approved": real_comments["1", "comment"],
        "comments pending": real_comments["0", "comment"],
        "trackbacks": sum(n for (_, kind), n in comments.items() if kind == "trackback"),
        "pingbacks": sum(n for (_, kind), n in comments.items() if kind == "pingback"),
        "replies": len(got["reply links"]),
    } == README_COUNTS


def test_records_come_in_file_order_with_the_site_first(records):
    assert isinstance(records[0], WxrSite)
    assert records[0] == WxrSite(
        title="Theme Unit Test Data",
        link="https://wpthemetestdata.wordpress.com",
        description="Just another WordPress website with a purposefully really long description",
        language="en",
        wxr_version="1.2",
        base_site_url="https://wordpress.com/",
        base_blog_url="https://wpthemetestdata.wordpress.com",
    )
    order = [type(r).__name__ for r in records[1:]]
    first_item = min(order.index("WxrPost"), order.index("WxrAttachment"))
    assert set(order[:first_item]) == {"WxrAuthor", "WxrTerm"}


def test_authors_carry_login_email_and_names(records):
    authors = {r.login: r for r in records if isinstance(r, WxrAuthor)}
    assert authors["themereviewteam"] == WxrAuthor(
        id=None,
        login="themereviewteam",
        email="themereviewteam@gmail.com",
        display_name="Theme Reviewer",
        first_name="Theme",
        last_name="Review",
    )


def test_categories_keep_their_parent_and_description(records):
    categories = {r.slug: r for r in records if isinstance(r, WxrTerm) and r.kind == "category"}
    assert categories["block"].name == "Block"
    assert categories["block"].description.startswith("Items in the block category")
    children = [c for c in categories.values() if c.parent]
    assert children, "the fixture has nested categories"
    assert all(c.parent in categories for c in children)


def test_a_post_keeps_its_fields_as_wordpress_had_them(records):
    post = next(r for r in records if isinstance(r, WxrPost) and r.post_id == 51)
    assert post.post_type == "post"
    assert post.slug == "theme-block-category"
    assert post.status == "publish"
    assert post.creator == "themereviewteam"
    assert post.date_gmt == datetime(2023, 1, 13, 18, 38, 5, tzinfo=UTC)
    assert post.categories == ("6-1", "block")
    assert post.thumbnail_id == 761
    assert post.postmeta["_wp_page_template"] == "default"
    # Block markup is kept as-is: making it safe is the sanitiser's job, not the reader's.
    assert "<!-- wp:paragraph -->" in post.content
    assert post.comments[0].comment_id == 2
    assert post.comments[0].author_email == "themeshaperwp+demos@gmail.com"
    assert post.comments[0].content == "This test post needs a comment."
    assert post.comments[0].date_gmt == datetime(2023, 1, 16, 7, 17, 56, tzinfo=UTC)


def test_the_feature_image_of_a_post_is_an_attachment_in_the_file(records):
    attachments = {r.post_id: r for r in records if isinstance(r, WxrAttachment)}
    posts = [r for r in records if isinstance(r, WxrPost) and r.thumbnail_id]
    found = [p for p in posts if p.thumbnail_id in attachments]
    assert found, "some feature images point at attachments in the same file"
    assert all(attachments[p.thumbnail_id].url.startswith("https://") for p in found)


def test_reply_links_point_at_comments_on_the_same_post(records):
    for item in records:
        if isinstance(item, WxrPost | WxrAttachment):
            ids = {c.comment_id for c in item.comments}
            assert all(c.parent in ids for c in item.comments if c.parent is not None)


def test_one_post_is_sticky_and_old_urls_come_from_link_and_guid(records):
    sticky = [r for r in records if isinstance(r, WxrPost) and r.is_sticky]
    assert len(sticky) == 1
    # The guid is an identifier, not always this site's URL: here it names another host,
    # so the importer keeps only old URLs on the site's own host (WxrSite.base_blog_url).
    assert sticky[0].old_urls == (
        "https://wpthemetestdata.wordpress.com/2012/01/07/template-sticky/",
        "http://wptest.io/demo/?p=1241",
    )


def test_a_file_object_reads_the_same_as_a_path(records, wxr_bytes):
    assert list(read_wordpress(io.BytesIO(wxr_bytes))) == records


def test_progress_reports_bytes_read_up_to_the_whole_file(wxr_path, wxr_bytes):
    seen: list[int] = []
    for _ in read_wordpress(wxr_path, progress=seen.append):
        pass
    assert seen == sorted(seen)
    assert len(seen) >= 2, "a 600 kB file reports more than once"
    assert seen[-1] == len(wxr_bytes)
