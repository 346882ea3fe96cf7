"""Atom and JSON Feed documents as feed readers see them: Atom read back with
feedparser (strict XML, no bozo), JSON Feed checked against 1.1's required fields, and
hostile text that survives both without breaking out of its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from defusedxml import ElementTree

from api.feeds.render import (
    ATOM_NS,
    JSON_FEED_VERSION,
    Category,
    Entry,
    Feed,
    Person,
    atom,
    json_feed,
)

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = "Tom & Jerry <script>alert(1)</script> ]]> \"quotes\" 'single' \x00\x07\x1b end"
HOSTILE_CLEAN = "Tom & Jerry <script>alert(1)</script> ]]> \"quotes\" 'single'  end"


def sample(**overrides) -> Feed:
    entries = (
        Entry(
            id="tag:blog.example,2025:post/2",
            title="Second post",
            url="https://blog.example/posts/second/",
            published=T,
            updated=T + timedelta(hours=2),
            authors=(Person("Ada Lovelace", "https://blog.example/authors/ada/"),),
            summary_html="<p>A <em>short</em> summary.</p>",
            content_html='<p>Full text with <a href="https://x.example/">a link</a>.</p>',
            categories=(Category("engines", "Analytical Engines"), Category("notes")),
        ),
        Entry(
            id="tag:blog.example,2025:post/1",
            title="First post",
            url="https://blog.example/posts/first/",
            published=T - timedelta(days=1),
        ),
    )
    values = {
        "title": "A blog",
        "self_url": "https://api.blog.example/v1/feeds/posts.atom",
        "alternate_url": "https://blog.example/",
        "subtitle": "Notes on engines",
        "language": "en",
        "entries": entries,
    }
    return Feed(**{**values, **overrides})


def parse_atom(feed: Feed):
    parsed = feedparser.parse(atom(feed))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_atom_reads_back_as_written():
    parsed = parse_atom(sample())
    assert parsed.feed.title == "A blog"
    assert parsed.feed.subtitle == "Notes on engines"
    assert parsed.feed.id == "https://api.blog.example/v1/feeds/posts.atom"
    assert parsed.feed.updated == "2025-03-01T14:00:00Z"  # the newest entry's update
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "self": "https://api.blog.example/v1/feeds/posts.atom",
        "alternate": "https://blog.example/",
    }
    second, first = parsed.entries
    assert second.id == "tag:blog.example,2025:post/2"
    assert second.title == "Second post"
    assert second.link == "https://blog.example/posts/second/"
    assert second.published == "2025-03-01T12:00:00Z"
    assert second.updated == "2025-03-01T14:00:00Z"
    assert second.author == "Ada Lovelace"
    assert second.author_detail.href == "https://blog.example/authors/ada/"
    assert [t.term for t in second.tags] == ["engines", "notes"]
    assert second.tags[0].label == "Analytical Engines"
    assert second.summary == "<p>A <em>short</em> summary.</p>"
    assert second.content[0].type == "text/html"
    assert 'href="https://x.example/"' in second.content[0].value
    assert first.updated == first.published == "2025-02-28T12:00:00Z"


def test_atom_entries_without_an_author_take_the_feeds():
    parsed = parse_atom(sample())
    assert parsed.feed.author == "A blog"  # one entry has no author
    # ...and a feed whose entries all name theirs needs none of its own.
    entry = sample().entries[0]
    root = ElementTree.fromstring(atom(sample(entries=(entry,))))
    assert root.find(f"{{{ATOM_NS}}}author") is None


def test_websub_links_when_a_hub_is_set():
    parsed = parse_atom(sample(hub_url="https://hub.example/"))
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["hub"] == "https://hub.example/"
    assert links["self"] == "https://api.blog.example/v1/feeds/posts.atom"
    document = json.loads(json_feed(sample(hub_url="https://hub.example/")))
    assert document["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]


def test_json_feed_has_the_required_fields_and_the_same_content():
    document = json.loads(json_feed(sample(self_url="https://api.blog.example/f.json")))
    assert document["version"] == JSON_FEED_VERSION
    assert document["title"] == "A blog"
    assert document["feed_url"] == "https://api.blog.example/f.json"
    assert document["home_page_url"] == "https://blog.example/"
    assert document["language"] == "en"
    assert "hubs" not in document
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
    second, first = document["items"]
    assert second["content_html"].startswith("<p>Full text")
    assert second["summary"] == "A short summary."  # plain text in JSON Feed
    assert second["date_published"] == "2025-03-01T12:00:00Z"
    assert second["date_modified"] == "2025-03-01T14:00:00Z"
    assert second["authors"] == [
        {"name": "Ada Lovelace", "url": "https://blog.example/authors/ada/"}
    ]
    assert second["tags"] == ["Analytical Engines", "notes"]
    assert first["content_text"] == ""  # neither summary nor content


def test_a_summary_stands_in_for_missing_content_in_json_feed():
    entry = Entry(id="1", title="t", summary_html="<p>only a summary</p>", published=T)
    (item,) = json.loads(json_feed(sample(entries=(entry,))))["items"]
    assert item["content_html"] == "<p>only a summary</p>"


def test_hostile_text_round_trips_safely_in_atom():
    entry = Entry(
        id="tag:x,2025:1",
        title=HOSTILE,
        url='https://blog.example/?a=1&b="2"',
        published=T,
        authors=(Person(HOSTILE),),
        content_html="<p>" + HOSTILE.replace("<", "&lt;") + "</p>",
        categories=(Category(HOSTILE),),
    )
    body = atom(sample(title=HOSTILE, entries=(entry,)))
    assert b"<script>" not in body and b"]]>" not in body
    root = ElementTree.fromstring(body)  # well-formed despite the control characters
    entry_element = root.find(f"{{{ATOM_NS}}}entry")
    assert entry_element.find(f"{{{ATOM_NS}}}title").text == HOSTILE_CLEAN
    assert entry_element.find(f"{{{ATOM_NS}}}category").get("term") == HOSTILE_CLEAN
    link = entry_element.find(f"{{{ATOM_NS}}}link").get("href")
    assert link == 'https://blog.example/?a=1&b="2"'
    assert root.find(f"{{{ATOM_NS}}}title").text == HOSTILE_CLEAN
    # A feed reader gets the entry, with the markup as text, not as a script.
    parsed = parse_atom(sample(title=HOSTILE, entries=(entry,)))
    assert parsed.entries[0].author == HOSTILE_CLEAN
    assert "<script>" not in parsed.entries[0].content[0].value


def test_hostile_text_round_trips_safely_in_json_feed():
    entry = Entry(id=HOSTILE, title=HOSTILE, content_html=HOSTILE, published=T)
    body = json_feed(sample(title=HOSTILE, entries=(entry,)))
    assert b"<" not in body and b">" not in body  # inert even if inlined in a page
    document = json.loads(body)
    assert document["title"] == HOSTILE_CLEAN
    (item,) = document["items"]
    assert item["id"] == item["title"] == item["content_html"] == HOSTILE_CLEAN


def test_unicode_survives_both_formats():
    title = "Ünïcödé — 日本語 — emoji 🎉 — \u2028 line separator"
    entry = Entry(id="1", title=title, published=T)
    assert parse_atom(sample(entries=(entry,))).entries[0].title == title
    assert json.loads(json_feed(sample(entries=(entry,))))["items"][0]["title"] == title


def test_an_empty_feed_is_still_valid_and_stable():
    empty = sample(entries=())
    assert parse_atom(empty).feed.updated == "1970-01-01T00:00:00Z"
    assert atom(empty) == atom(empty)  # no clock in the output: a stable ETag
    assert json.loads(json_feed(empty))["items"] == []


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        atom(sample(updated=datetime(2025, 1, 1)))
