"""Webmention sources read as IndieWeb readers read them: the h-entry that links our post
gives the author (name, photo, URL), the entry URL, a short plain summary and the
mention type; pages without microformats still give what they can, offline."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from api.linkbacks.microformats import SUMMARY_CHARS, Mention, parse_mention

TARGET = "https://blog.example/posts/hello/"
SOURCE = "https://ada.example/notes/2025/03/1"


def page(body: str, head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>A note</title>{head}</head><body>{body}</body></html>"
    )


REPLY = page(
    """
    <article class="h-entry">
      <p>In reply to <a class="u-in-reply-to" href="https://blog.example/posts/hello">Hello</a></p>
      <span class="p-author h-card">
        <img class="u-photo" src="/images/ada.jpg" alt="">
        <a class="p-name u-url" href="https://ada.example/">Ada Lovelace</a>
      </span>
      <div class="e-content"><p>What a <strong>lovely</strong> engine.</p>
        <script>alert('not text')</script></div>
      <a class="u-url" href="/notes/2025/03/1">#</a>
      <time class="dt-published" datetime="2025-03-01T10:00:00+00:00">1 March</time>
    </article>
    """
)


def test_a_reply():
    mention = parse_mention(REPLY, SOURCE, TARGET)
    assert mention == Mention(
        type="reply",
        author_name="Ada Lovelace",
        author_photo="https://ada.example/images/ada.jpg",
        author_url="https://ada.example/",
        entry_url="https://ada.example/notes/2025/03/1",
        summary="What a lovely engine.",  # script text is no content
        published=datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
    )


def test_a_like_with_a_cited_target():
    html = page(
        """
        <div class="h-entry">
          <span class="p-author h-card"><a class="u-url p-name" href="https://bob.example/">Bob</a></span>
          liked <div class="u-like-of h-cite"><a class="u-url" href="http://BLOG.example/posts/hello/#top">Hello</a></div>
        </div>
        """
    )
    mention = parse_mention(html, "https://bob.example/likes/9", TARGET)
    assert mention.type == "like"
    assert (mention.author_name, mention.author_url) == ("Bob", "https://bob.example/")
    assert mention.author_photo is None
    assert mention.entry_url == "https://bob.example/likes/9"  # no u-url: the page


def test_a_repost_and_a_bookmark():
    for css, kind in (("u-repost-of", "repost"), ("u-bookmark-of", "bookmark")):
        html = page(
            f'<div class="h-entry"><a class="{css}" href="{TARGET}">it</a>'
            '<a class="u-author" href="https://carol.example/">Carol</a></div>'
        )
        mention = parse_mention(html, "https://carol.example/r/1", TARGET)
        assert mention.type == kind
        assert mention.author_url == "https://carol.example/"  # author given as a URL


def test_a_reply_to_someone_else_that_links_us_is_a_mention():
    html = page(
        f"""
        <div class="h-entry">
          <a class="u-in-reply-to" href="https://elsewhere.example/post">Their post</a>
          <div class="e-content">As <a href="{TARGET}">Hello</a> says, engines are lovely.</div>
          <span class="p-author">Dan</span>
        </div>
        """
    )
    mention = parse_mention(html, "https://dan.example/1", TARGET)
    assert mention.type == "mention"
    assert mention.author_name == "Dan"
    assert mention.summary == "As Hello says, engines are lovely."


def test_the_entry_that_links_us_in_a_feed_page_with_the_feeds_author():
    html = page(
        f"""
        <div class="h-feed">
          <a class="p-author h-card" href="https://erin.example/">Erin</a>
          <div class="h-entry"><p class="e-content">Unrelated.</p>
            <a class="u-url" href="/1">1</a></div>
          <div class="h-entry"><p class="e-content">Liked it.</p>
            <a class="u-like-of" href="{TARGET}">x</a> <a class="u-url" href="/2">2</a></div>
        </div>
        """
    )
    mention = parse_mention(html, "https://erin.example/", TARGET)
    assert mention.type == "like"
    assert mention.entry_url == "https://erin.example/2"
    assert (mention.author_name, mention.author_url) == ("Erin", "https://erin.example/")


def test_a_page_without_microformats():
    html = page(
        f'<p>Read <a href="{TARGET}">this post</a>.</p>', '<link rel="author" href="/about">'
    )
    mention = parse_mention(html, SOURCE, TARGET)
    assert mention == Mention(
        type="mention", author_url="https://ada.example/about", entry_url=SOURCE
    )
    assert parse_mention("not even html", SOURCE, TARGET) == Mention(entry_url=SOURCE)


def test_an_h_card_author_only():
    html = page(
        f"""
        <div class="h-card"><img class="u-photo" src="https://cdn.example/f.png" alt="">
          <a class="p-name u-url" href="https://frank.example/">Frank</a></div>
        <p>I wrote about <a href="{TARGET}">this</a>.</p>
        """
    )
    mention = parse_mention(html, "https://frank.example/posts/7", TARGET)
    assert mention.type == "mention"
    assert mention.author_name == "Frank"
    assert mention.author_photo == "https://cdn.example/f.png"
    assert mention.author_url == "https://frank.example/"
    assert mention.summary is None


def test_the_representative_card_is_the_one_rel_me_points_to():
    html = page(
        """
        <div class="h-card"><a class="p-name u-url" href="https://someone.example/">Someone</a></div>
        <div class="h-card"><a class="p-name u-url" href="https://gina.example/">Gina</a></div>
        """,
        '<link rel="me" href="https://gina.example/">',
    )
    assert parse_mention(html, "https://gina.example/p/1", TARGET).author_name == "Gina"


def test_several_entries_none_linking_us_guesses_no_author():
    html = page(
        '<div class="h-entry"><span class="p-author">A</span>x</div>'
        '<div class="h-entry"><span class="p-author">B</span>y</div>'
        f'<footer><a href="{TARGET}">blogroll</a></footer>'
    )
    assert parse_mention(html, SOURCE, TARGET) == Mention(entry_url=SOURCE)


def test_unsafe_urls_are_dropped():
    html = page(
        f"""
        <div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
          <div class="p-author h-card"><img class="u-photo" src="javascript:alert(1)" alt="">
            <a class="p-name u-url" href="data:text/html,hi">Mallory</a></div>
          <a class="u-url" href="javascript:alert(2)">#</a></div>
        """
    )
    mention = parse_mention(html, SOURCE, TARGET)
    assert mention.author_name == "Mallory"
    assert mention.author_photo is None and mention.author_url is None
    assert mention.entry_url == SOURCE


def test_the_summary_and_names_are_bounded_plain_text():
    words = " ".join(["word"] * 400)
    html = page(
        f'<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>'
        f'<span class="p-author">{"N" * 500}</span>'
        f'<div class="e-content"><p>{words}</p></div></div>'
    )
    mention = parse_mention(html, SOURCE, TARGET)
    assert len(mention.summary) <= SUMMARY_CHARS
    assert mention.summary.endswith("word\u2026")
    assert len(parse_mention(html, SOURCE, TARGET, summary_chars=40).summary) <= 40
    assert len(mention.author_name) <= 200


def test_a_summary_property_wins_over_the_content():
    html = page(
        f'<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>'
        '<p class="p-summary">Short version.</p><div class="e-content">Long version.</div></div>'
    )
    assert parse_mention(html, SOURCE, TARGET).summary == "Short version."


@pytest.mark.parametrize(
    "html",
    [
        "https://looks.like/a/url",
        "file.html",
        '<?xml version="1.0"?><rss><channel><title>x</title></channel></rss>',
        "<div class='h-entry'><p class='p-name'>\x00\x01 odd</p></div>",
        "<" * 1000,
    ],
)
def test_odd_documents_give_a_mention_without_warnings_or_errors(html):
    # pytest turns warnings into errors here: BeautifulSoup's guesses must not fire.
    assert parse_mention(html, SOURCE, TARGET).type == "mention"


def test_nothing_is_fetched(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the parser tried to use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    html = REPLY.replace("<head>", '<head><link rel="stylesheet" href="https://cdn.example/s.css">')
    assert parse_mention(html, SOURCE, TARGET).type == "reply"
