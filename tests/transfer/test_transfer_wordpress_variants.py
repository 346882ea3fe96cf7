"""The wp: namespace as real exports write it (http:// or https://, WXR 1.0 to 1.2),
the quirks of older exports, and the mapping of WordPress's statuses to ours."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime

import pytest

from api.comments.models import COMMENT_STATUSES, COMMENT_TYPES
from api.content.models import POST_STATUSES
from api.transfer.errors import ImportFileError
from api.transfer.wordpress import (
    WxrComment,
    WxrItemTerm,
    WxrPost,
    WxrSite,
    WxrTerm,
    map_comment_status,
    map_comment_type,
    map_post_status,
    read_wordpress,
)

FIXTURE_NAMESPACE = b"https://wordpress.org/export/1.2/"


def without_version(records: list) -> list:
    return [
        dataclasses.replace(r, wxr_version="") if isinstance(r, WxrSite) else r for r in records
    ]


@pytest.fixture(scope="module")
def fixture_records(wxr_bytes) -> list:
    return list(read_wordpress(io.BytesIO(wxr_bytes)))


@pytest.mark.parametrize(
    ("namespace", "version"),
    [
        (b"http://wordpress.org/export/1.2/", "1.2"),
        (b"https://wordpress.org/export/1.1/", "1.1"),
        (b"http://wordpress.org/export/1.1/", "1.1"),
        (b"http://wordpress.org/export/1.0/", "1.0"),
    ],
)
def test_every_known_namespace_reads_the_same_records(
    wxr_bytes, fixture_records, namespace, version
):
    # Rewrites wp: and excerpt: (".../export/1.2/excerpt/") together, as real files have them.
    assert wxr_bytes.count(FIXTURE_NAMESPACE) == 2
    variant = wxr_bytes.replace(FIXTURE_NAMESPACE, namespace)
    records = list(read_wordpress(io.BytesIO(variant)))
    assert records[0].wxr_version == version
    assert without_version(records) == without_version(fixture_records)


@pytest.mark.parametrize(
    "namespace",
    [b"https://wordpress.org/export/1.3/", b"http://example.com/wordpress/export/1.2/"],
)
def test_an_unknown_wp_namespace_is_refused(wxr_bytes, namespace):
    variant = wxr_bytes.replace(FIXTURE_NAMESPACE, namespace)
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(variant)))
    message = str(caught.value)
    assert "unknown WordPress export namespace" in message
    assert namespace.decode() in message
    assert "\n" not in message


# A WXR 1.0 export as WordPress 2.x wrote it: no wp:author elements, tags in domain
# "tag", each category once bare and once with its nicename, a draft with the zero date.
WXR_1_0 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/1.0/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.0/">
<channel>
  <title>Old blog</title>
  <link>http://old.example</link>
  <wp:wxr_version>1.0</wp:wxr_version>
  <wp:category><wp:category_nicename>news</wp:category_nicename>
    <wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[News]]></wp:cat_name>
  </wp:category>
  <wp:category><wp:category_nicename>local</wp:category_nicename>
    <wp:category_parent>news</wp:category_parent><wp:cat_name>Local</wp:cat_name>
  </wp:category>
  <wp:tag><wp:tag_slug>cats</wp:tag_slug><wp:tag_name>Cats</wp:tag_name></wp:tag>
  <item>
    <title>Hello</title>
    <link>http://old.example/2008/01/hello/</link>
    <dc:creator>admin</dc:creator>
    <guid isPermaLink="false">http://old.example/?p=7</guid>
    <content:encoded><![CDATA[<p>Hi <script>alert(1)</script></p>]]></content:encoded>
    <excerpt:encoded><![CDATA[Short]]></excerpt:encoded>
    <category><![CDATA[News]]></category>
    <category domain="category" nicename="news"><![CDATA[News]]></category>
    <category domain="tag"><![CDATA[Cats]]></category>
    <category domain="tag" nicename="cats"><![CDATA[Cats]]></category>
    <wp:post_id>7</wp:post_id>
    <wp:post_date>2008-01-02 03:04:05</wp:post_date>
    <wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>
    <wp:comment_status>closed</wp:comment_status>
    <wp:post_name></wp:post_name>
    <wp:status>pending</wp:status>
    <wp:post_parent>0</wp:post_parent>
    <wp:menu_order>0</wp:menu_order>
    <wp:post_type>post</wp:post_type>
    <wp:comment>
      <wp:comment_id>3</wp:comment_id>
      <wp:comment_author><![CDATA[Ann]]></wp:comment_author>
      <wp:comment_author_IP>192.0.2.7</wp:comment_author_IP>
      <wp:comment_date_gmt>2008-01-03 00:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[  First!  ]]></wp:comment_content>
      <wp:comment_approved>spam</wp:comment_approved>
      <wp:comment_type></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
      <wp:commentmeta><wp:meta_key>akismet_result</wp:meta_key>
        <wp:meta_value>true</wp:meta_value></wp:commentmeta>
    </wp:comment>
  </item>
</channel>
</rss>"""


def test_a_wxr_1_0_export_reads_with_its_quirks_smoothed():
    site, news, local, cats, post = read_wordpress(io.BytesIO(WXR_1_0))
    assert site.wxr_version == "1.0"
    assert site.title == "Old blog"
    assert news == WxrTerm("category", None, "news", "News", None, "")
    assert local.parent == "news"
    assert cats == WxrTerm("tag", None, "cats", "Cats", None, "")
    assert isinstance(post, WxrPost)
    assert post.terms == (
        WxrItemTerm("category", "news", "News"),
        WxrItemTerm("post_tag", "cats", "Cats"),
    )
    assert post.categories == ("news",)
    assert post.tags == ("cats",)
    assert post.slug == ""
    assert post.date == datetime(2008, 1, 2, 3, 4, 5)  # local time, zone unknown
    assert post.date_gmt is None  # WordPress's zero date for an unpublished post
    assert post.content == "<p>Hi <script>alert(1)</script></p>"  # the sanitiser's job
    assert post.excerpt == "Short"
    assert post.old_urls == ("http://old.example/2008/01/hello/", "http://old.example/?p=7")
    (comment,) = post.comments
    assert comment == WxrComment(
        comment_id=3,
        author="Ann",
        author_email="",
        author_url="",
        author_ip="192.0.2.7",
        date=None,
        date_gmt=datetime.fromisoformat("2008-01-03T00:00:00+00:00"),
        content="  First!  ",
        approved="spam",
        type="comment",
        parent=None,
        user_id=None,
        meta={"akismet_result": "true"},
    )


def test_an_item_without_a_post_id_is_a_broken_file():
    broken = WXR_1_0.replace(b"<wp:post_id>7</wp:post_id>", b"")
    with pytest.raises(ImportFileError, match="no wp:post_id"):
        list(read_wordpress(io.BytesIO(broken)))


def test_an_id_that_is_not_a_number_is_a_broken_file():
    broken = WXR_1_0.replace(b"<wp:comment_id>3<", b"<wp:comment_id>three<")
    with pytest.raises(ImportFileError, match="comment_id is 'three', not a number"):
        list(read_wordpress(io.BytesIO(broken)))


@pytest.mark.parametrize(
    ("wordpress", "ours", "noted"),
    [
        ("publish", "published", False),
        ("draft", "draft", False),
        ("future", "scheduled", False),
        ("pending", "draft", True),
        ("private", "draft", True),
        ("trash", None, True),
        ("auto-draft", None, True),
        ("inherit", None, True),
    ],
)
def test_post_statuses_map_to_ours_and_say_what_changed(wordpress, ours, noted):
    mapped = map_post_status(wordpress)
    assert mapped.value == ours
    assert (mapped.note is not None) == noted


@pytest.mark.parametrize(
    ("approved", "ours"),
    [("1", "approved"), ("0", "pending"), ("spam", "spam"), ("trash", "trash"), ("x", None)],
)
def test_comment_approval_maps_to_our_statuses(approved, ours):
    assert map_comment_status(approved).value == ours


@pytest.mark.parametrize(
    ("wordpress", "ours", "noted"),
    [
        ("comment", "comment", False),
        ("", "comment", False),
        ("pingback", "pingback", False),
        ("trackback", "pingback", True),
        ("webmention", "pingback", True),
        ("order_note", None, True),
    ],
)
def test_comment_types_map_pings_to_pingback_entries(wordpress, ours, noted):
    mapped = map_comment_type(wordpress)
    assert mapped.value == ours
    assert (mapped.note is not None) == noted


def test_the_mapping_only_produces_values_the_app_knows():
    # Guards the seam with the content and comments areas: a status renamed there must
    # be renamed here too.
    post_values = {map_post_status(s).value for s in ("publish", "draft", "future", "pending")}
    assert post_values <= set(POST_STATUSES)
    comment_values = {map_comment_status(s).value for s in ("1", "0", "spam", "trash")}
    assert comment_values <= set(COMMENT_STATUSES)
    type_values = {map_comment_type(t).value for t in ("", "pingback", "trackback")}
    assert type_values <= set(COMMENT_TYPES)
