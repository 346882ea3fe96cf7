"""Atom 1.0 (RFC 4287) and JSON Feed 1.1 documents from plain data.

The caller gathers what goes into a feed (posts of a tag, comments of a post...) as a
`Feed` and picks the format; both renderings come from the same data, so the two feeds
always say the same thing.

Escaping is the serialisers' job, never string pasting: ElementTree escapes text and
attributes (``<``, ``&``, and ``>`` so a ``]]>`` in a title is harmless), `json`
escapes strings, and the JSON output also spells ``<``, ``>``, ``&``, U+2028 and U+2029 as
``\\uXXXX`` so it stays inert even if someone inlines it into a page. Characters that
XML 1.0 cannot carry at all (C0 controls other than tab/newline/return, lone surrogates,
U+FFFE/U+FFFF) are removed from every text in *both* formats, so the feeds agree.

HTML handed in (``summary_html``, ``content_html``) is expected to be what the API
stores: already rendered and sanitised by api/rendering.py. It is carried as escaped
text (Atom ``type="html"``, JSON ``content_html``), never as markup of the feed itself.

WebSub (W3C): when a hub URL is given, the Atom feed links ``rel="hub"`` and
``rel="self"`` (the URL subscribers must use as the topic) and the JSON feed lists the
hub under ``hubs``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from api.rendering import plain_text

ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_MEDIA_TYPE = "application/feed+json; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "Marginalia"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Everything XML 1.0 allows (its `Char` production); the rest is removed.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_JSON_INERT = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@dataclass(frozen=True)
class Person:
    name: str
    url: str | None = None
    avatar: str | None = None  # JSON Feed only (Atom has no author image)


@dataclass(frozen=True)
class Category:
    term: str  # machine name (a tag's slug)
    label: str | None = None  # for people (the tag's name)


@dataclass(frozen=True)
class Entry:
    id: str  # permanent and unique: a tag: URI or the item's canonical URL
    title: str
    url: str | None = None  # the item's page for readers
    published: datetime | None = None
    updated: datetime | None = None  # defaults to `published`
    authors: Sequence[Person] = ()
    summary_html: str | None = None
    content_html: str | None = None
    categories: Sequence[Category] = ()


@dataclass(frozen=True)
class Feed:
    title: str
    self_url: str  # where this document is served (differs between the two formats)
    alternate_url: str | None = None  # the site or page the feed is about
    id: str | None = None  # defaults to `self_url`
    subtitle: str | None = None
    updated: datetime | None = None  # defaults to the newest entry's time
    language: str | None = None  # e.g. "en"
    authors: Sequence[Person] = ()
    hub_url: str | None = None  # WebSub hub
    entries: Sequence[Entry] = field(default_factory=tuple)


def clean(text: str | None) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML_CHAR.sub("", text or "")


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("feed timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry_updated(entry: Entry) -> datetime | None:
    return entry.updated or entry.published


def _feed_updated(feed: Feed) -> datetime:
    if feed.updated is not None:
        return feed.updated
    # Deterministic (no "now"), so an unchanged feed renders to the same bytes and ETag.
    times = [t for entry in feed.entries if (t := _entry_updated(entry)) is not None]
    return max(times, default=_EPOCH)


# --- Atom -------------------------------------------------------------------------------


def _text(parent: Element, tag: str, text: str | None, **attributes: str) -> Element:
    element = SubElement(parent, tag, {k: clean(v) for k, v in attributes.items()})
    element.text = clean(text)
    return element


def _link(parent: Element, rel: str, href: str, media_type: str | None = None) -> None:
    attributes = {"rel": rel, "href": clean(href)}
    if media_type:
        attributes["type"] = media_type
    SubElement(parent, "link", attributes)


def _person(parent: Element, tag: str, person: Person) -> None:
    element = SubElement(parent, tag)
    _text(element, "name", person.name)
    if person.url:
        _text(element, "uri", person.url)


def atom(feed: Feed) -> bytes:
    """The feed as an Atom 1.0 document (UTF-8 bytes)."""
    root = Element("feed", {"xmlns": ATOM_NS})
    if feed.language:
        root.set(_XML_LANG, clean(feed.language))
    _text(root, "id", feed.id or feed.self_url)
    _text(root, "title", feed.title)
    if feed.subtitle:
        _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", _rfc3339(_feed_updated(feed)))
    _link(root, "self", feed.self_url, "application/atom+xml")
    if feed.alternate_url:
        _link(root, "alternate", feed.alternate_url, "text/html")
    if feed.hub_url:
        _link(root, "hub", feed.hub_url)
    authors = list(feed.authors)
    if not authors and any(not entry.authors for entry in feed.entries):
        # RFC 4287 4.1.1: an entry without an author takes the feed's, which must exist.
        authors = [Person(feed.title, feed.alternate_url)]
    for person in authors:
        _person(root, "author", person)
    _text(root, "generator", GENERATOR)
    for entry in feed.entries:
        _atom_entry(root, entry)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _atom_entry(root: Element, entry: Entry) -> None:
    element = SubElement(root, "entry")
    _text(element, "id", entry.id)
    _text(element, "title", entry.title)
    updated = _entry_updated(entry) or _EPOCH
    _text(element, "updated", _rfc3339(updated))
    if entry.published:
        _text(element, "published", _rfc3339(entry.published))
    if entry.url:
        _link(element, "alternate", entry.url, "text/html")
    for person in entry.authors:
        _person(element, "author", person)
    for category in entry.categories:
        attributes = {"term": category.term}
        if category.label:
            attributes["label"] = category.label
        SubElement(element, "category", {k: clean(v) for k, v in attributes.items()})
    if entry.summary_html:
        _text(element, "summary", entry.summary_html, type="html")
    if entry.content_html:
        _text(element, "content", entry.content_html, type="html")


# --- JSON Feed --------------------------------------------------------------------------


def _json_person(person: Person) -> dict[str, str]:
    values = {"name": person.name, "url": person.url, "avatar": person.avatar}
    return {key: clean(value) for key, value in values.items() if value}


def json_feed(feed: Feed) -> bytes:
    """The feed as a JSON Feed 1.1 document (UTF-8 bytes)."""
    document: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": clean(feed.title),
        "feed_url": clean(feed.self_url),
    }
    if feed.alternate_url:
        document["home_page_url"] = clean(feed.alternate_url)
    if feed.subtitle:
        document["description"] = clean(feed.subtitle)
    if feed.language:
        document["language"] = clean(feed.language)
    if feed.authors:
        document["authors"] = [_json_person(p) for p in feed.authors]
    if feed.hub_url:
        document["hubs"] = [{"type": "WebSub", "url": clean(feed.hub_url)}]
    document["items"] = [_json_item(entry) for entry in feed.entries]
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # Only string contents can hold these characters, so escaping them is lossless.
    return text.translate(_JSON_INERT).encode("utf-8")


def _json_item(entry: Entry) -> dict[str, object]:
    item: dict[str, object] = {"id": clean(entry.id)}
    if entry.url:
        item["url"] = clean(entry.url)
    item["title"] = clean(entry.title)
    # The spec requires content_html or content_text; a summary stands in for content.
    content = entry.content_html or entry.summary_html
    if content:
        item["content_html"] = clean(content)
    else:
        item["content_text"] = ""
    if entry.summary_html:
        item["summary"] = clean(plain_text(entry.summary_html))  # plain text in JSON Feed
    if entry.published:
        item["date_published"] = _rfc3339(entry.published)
    if (updated := _entry_updated(entry)) is not None:
        item["date_modified"] = _rfc3339(updated)
    if entry.authors:
        item["authors"] = [_json_person(p) for p in entry.authors]
    if entry.categories:
        item["tags"] = [clean(c.label or c.term) for c in entry.categories]
    return item
