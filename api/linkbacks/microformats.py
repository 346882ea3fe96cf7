"""What a Webmention's source page says about itself, read from its microformats2.

Given the fetched source (HTML text and its URL) and our target URL, find the h-entry
that links the target and return who wrote it and what kind of mention it is, the way
IndieWeb readers show it ("Ada liked this", "Bob replied: …"):

* the type comes from the property that holds the target: ``u-in-reply-to`` → reply,
  ``u-repost-of`` → repost, ``u-like-of`` → like, ``u-bookmark-of`` → bookmark (in that
  order when one entry has several); a plain link in the text is a mention. A property
  pointing elsewhere (a reply to someone else that links us in passing) is a mention.
* the author follows the IndieWeb authorship algorithm as far as a page allows without
  fetching anything more: the entry's ``p-author`` (an h-card, a URL or a name), else
  the enclosing h-feed's author, else the page's representative h-card (its ``u-url``
  is the page, or is one of the page's ``rel=me`` links, or it is the only h-card at
  the top level), else the ``rel=author`` link.
* when no entry links the target (the link sits outside the entry's markup, e.g. in a
  page footer) but the page holds exactly one h-entry, that entry is the page's own
  post and is used; with several, none is guessed at.

Pure and offline: mf2py is always handed the document, so it never fetches the URL
itself (it would, with `requests`, outside our SSRF guard, if given a URL alone), and
metaformats fallbacks are off. Every URL returned is absolute http(s) or None (a
``javascript:`` photo must never reach an ``<img src>``), and every text is plain,
whitespace-collapsed and bounded; the caller escapes it like any other text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import mf2py

# Property that holds the target -> mention type, strongest first.
TYPED_PROPERTIES = (
    ("in-reply-to", "reply"),
    ("repost-of", "repost"),
    ("like-of", "like"),
    ("bookmark-of", "bookmark"),
)
MENTION = "mention"
SUMMARY_CHARS = 300
NAME_CHARS = 200
URL_CHARS = 2048
# A larger page is cut here before parsing (HTML5 parsing in Python costs ~1 s per MB).
MAX_SOURCE_CHARS = 500_000
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Mention:
    type: str = MENTION  # reply | like | repost | bookmark | mention
    author_name: str | None = None
    author_photo: str | None = None
    author_url: str | None = None
    entry_url: str | None = None
    summary: str | None = None  # plain text, at most `summary_chars` characters
    published: datetime | None = None  # timezone-aware, when the entry says


@dataclass(frozen=True)
class _Author:
    name: str | None = None
    photo: str | None = None
    url: str | None = None


def parse_mention(
    html: str, source_url: str, target_url: str, *, summary_chars: int = SUMMARY_CHARS
) -> Mention:
    """The mention `source_url`'s page (`html`) makes of `target_url`."""
    if "<" not in html:
        return Mention(entry_url=_safe_url(source_url))  # no markup, no microformats
    # A leading doctype pins the document as HTML: BeautifulSoup then never guesses "this
    # is XML" or "this is a file name" from its first bytes (and never warns about it).
    document = "<!DOCTYPE html>" + html[:MAX_SOURCE_CHARS]
    parsed = mf2py.parse(doc=document, url=source_url, metaformats=False, html_parser="html5lib")
    target = _url_key(target_url)
    found = _entry_linking(parsed.get("items", []), target)
    if found is None:
        entry, feed, kind = None, None, MENTION
    else:
        entry, feed, kind = found
    author = (
        (entry and _author_of(entry))
        or (feed and _author_of(feed))
        or _representative_card(parsed, source_url)
        or _rel_author(parsed)
        or _Author()
    )
    properties = entry.get("properties", {}) if entry else {}
    return Mention(
        type=kind,
        author_name=author.name,
        author_photo=author.photo,
        author_url=author.url,
        entry_url=_first_url(properties.get("url")) or _safe_url(source_url),
        summary=_summary(properties, summary_chars) if entry else None,
        published=_datetime(_first_text(properties.get("published"))),
    )


# --- finding the entry ------------------------------------------------------------------


def _entries(items: list[dict], feed: dict | None = None) -> Iterator[tuple[dict, dict | None]]:
    """Every h-entry of the page with the h-feed around it: top level and children, not
    those embedded in properties (those are other people's posts, quoted)."""
    for item in items:
        types = item.get("type", [])
        if "h-entry" in types:
            yield item, feed
        yield from _entries(item.get("children", []), item if "h-feed" in types else feed)


def _entry_linking(items: list[dict], target: str) -> tuple[dict, dict | None, str] | None:
    entries = list(_entries(items))
    for entry, feed in entries:
        properties = entry.get("properties", {})
        for name, kind in TYPED_PROPERTIES:
            if any(_url_key(url) == target for url in _urls(properties.get(name, []))):
                return entry, feed, kind
    for entry, feed in entries:
        if _links_anywhere(entry, target):
            return entry, feed, MENTION
    if len(entries) == 1:
        entry, feed = entries[0]
        return entry, feed, MENTION
    return None


def _links_anywhere(entry: dict, target: str) -> bool:
    properties = entry.get("properties", {})
    for values in properties.values():
        for value in values:
            if isinstance(value, dict) and "html" in value:  # e-content: its links
                if target in {_url_key(href) for href in _hrefs(value["html"])}:
                    return True
            elif any(_url_key(url) == target for url in _urls([value])):
                return True
    return False


def _hrefs(html: str) -> Iterator[str]:
    # mf2py serialises e-* HTML with double-quoted, entity-escaped attributes, and has
    # already made relative links absolute against the page (or its <base>).
    for chunk in html.split('href="')[1:]:
        yield chunk.split('"', 1)[0].replace("&amp;", "&")


def _urls(values: list[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):  # an embedded h-cite, or {"value": url, "alt": ...}
            yield from (v for v in value.get("properties", {}).get("url", []) if isinstance(v, str))
            if isinstance(value.get("value"), str):
                yield value["value"]


def _url_key(url: str) -> str:
    """A URL reduced to what tells two spellings of one page apart: no scheme (http and
    https serve the same post), case-insensitive host, no default port, no fragment, no
    trailing slash."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return url
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{netloc}{path}{query}"


# --- the author -------------------------------------------------------------------------


def _author_of(item: dict) -> _Author | None:
    values = item.get("properties", {}).get("author", [])
    if not values:
        return None
    value = values[0]
    if isinstance(value, dict):
        if "h-card" in value.get("type", []):
            return _card(value)
        value = value.get("value", "")
    if not isinstance(value, str) or not value.strip():
        return None
    url = _safe_url(value)
    return _Author(url=url) if url else _Author(name=_plain(value, NAME_CHARS))


def _card(card: dict) -> _Author:
    properties = card.get("properties", {})
    return _Author(
        name=_plain(_first_text(properties.get("name")), NAME_CHARS),
        photo=_first_url(properties.get("photo")),
        url=_first_url(properties.get("url")),
    )


def _representative_card(parsed: dict, source_url: str) -> _Author | None:
    cards = [item for item in parsed.get("items", []) if "h-card" in item.get("type", [])]
    page = _url_key(source_url)
    me = {_url_key(url) for url in parsed.get("rels", {}).get("me", [])}
    for wanted in (lambda key: key == page, lambda key: key in me):
        for card in cards:
            urls = card.get("properties", {}).get("url", [])
            if any(wanted(_url_key(url)) for url in _urls(urls)):
                return _card(card)
    return _card(cards[0]) if len(cards) == 1 else None


def _rel_author(parsed: dict) -> _Author | None:
    url = _first_url(parsed.get("rels", {}).get("author"))
    return _Author(url=url) if url else None


# --- values -----------------------------------------------------------------------------


def _first_text(values: list[Any] | None) -> str | None:
    for value in values or ():
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            return value["value"]
    return None


def _first_url(values: list[Any] | None) -> str | None:
    return next(filter(None, (_safe_url(url) for url in _urls(list(values or ())))), None)


def _safe_url(url: str) -> str | None:
    url = url.strip()
    if len(url) > URL_CHARS or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _plain(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    words = " ".join(text.split())
    if len(words) <= limit:
        return words or None
    cut = words[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]  # end on a whole word when one is near
    return cut.rstrip(" ,;:.") + ELLIPSIS


def _summary(properties: dict, limit: int) -> str | None:
    for name in ("summary", "content", "name"):
        if text := _plain(_first_text(properties.get(name)), limit):
            return text
    return None


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None
