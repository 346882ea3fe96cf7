"""A streaming reader of WordPress eXtended RSS (WXR 1.0, 1.1 and 1.2), the file that
WordPress's Tools → Export writes, and the mapping of its statuses to ours.

`read_wordpress(path_or_file)` yields, in file order: one `WxrSite`, then `WxrAuthor`s,
`WxrTerm`s (categories, tags and other taxonomies' terms, each once), then a `WxrPost`
for every item that is not an attachment (posts, pages, and other post types such as
nav_menu_item, which the importer reports as skipped) and a `WxrAttachment` for every
attachment. Comments come inside their item. Values are WordPress's own (statuses,
comment approval, ids): `map_post_status` and `map_comment` say what they become here.

Each item is cleared from the tree once it is a record, so memory holds one item at a
time whatever the file's size. Everything wrong with the file itself raises
`ImportFileError` (xml_events.py holds the XML side: defused parsing, bounds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from api.transfer.errors import ImportFileError
from api.transfer.mapped import Mapped
from api.transfer.source import ProgressCallback, Source, open_source
from api.transfer.values import flag, optional_int, wordpress_datetime
from api.transfer.xml_events import XmlEvents, counting_xml_reader, text_of

# The wp: namespace of each WXR version, under both schemes: WordPress wrote http://
# for years and https:// since; real exports have either.
WXR_VERSIONS = ("1.0", "1.1", "1.2")
WP_NAMESPACES = {
    f"{scheme}://wordpress.org/export/{version}/": version
    for scheme in ("http", "https")
    for version in WXR_VERSIONS
}
_EXCERPT_NAMESPACES = {f"{uri}excerpt/" for uri in WP_NAMESPACES}
_CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
_DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
_LOOKS_LIKE_WXR = re.compile(r"^https?://wordpress\.org/export/")


@dataclass(frozen=True, slots=True)
class WxrSite:
    title: str
    link: str
    description: str
    language: str
    wxr_version: str  # from the wp: namespace (wp:wxr_version is optional in 1.0)
    base_site_url: str
    base_blog_url: str


@dataclass(frozen=True, slots=True)
class WxrAuthor:
    id: int | None  # wp:author_id; absent in many exports
    login: str
    email: str
    display_name: str
    first_name: str
    last_name: str


@dataclass(frozen=True, slots=True)
class WxrTerm:
    """A category, a tag, or another taxonomy's term (nav_menu, post_format, …)."""

    kind: str  # "category", "tag", or the taxonomy's own name for any other
    term_id: int | None
    slug: str  # WordPress's nicename
    name: str
    parent: str | None  # the parent's slug (categories and hierarchical terms)
    description: str


@dataclass(frozen=True, slots=True)
class WxrItemTerm:
    """One `<category domain=… nicename=…>` of an item."""

    domain: str  # "category", "post_tag", "post_format", "nav_menu", …
    nicename: str | None  # WXR 1.0 sometimes gives only the name
    name: str


@dataclass(frozen=True, slots=True)
class WxrComment:
    comment_id: int
    author: str
    author_email: str
    author_url: str
    author_ip: str
    date: datetime | None  # the site's local time, naive
    date_gmt: datetime | None
    content: str  # as WordPress stored it (HTML allowed); for the sanitiser
    approved: str  # WordPress's: "1", "0", "spam", "trash" (or "post-trashed")
    type: str  # "comment" (WordPress writes "" too), "pingback", "trackback", …
    parent: int | None  # the comment_id replied to; None at the top of a thread
    user_id: int | None
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WxrPost:
    """An item that is not an attachment: a post, a page, or another post type."""

    post_id: int
    post_type: str
    title: str
    link: str
    guid: str
    slug: str  # post_name; empty for drafts WordPress never named
    status: str  # WordPress's: publish, draft, future, pending, private, …
    date: datetime | None  # post_date, the site's local time, naive
    date_gmt: datetime | None  # None for drafts WordPress never dated
    modified_gmt: datetime | None
    creator: str  # the author's login
    content: str  # HTML as WordPress stored it, block comments included
    excerpt: str
    is_sticky: bool
    comment_status: str  # open, closed
    ping_status: str
    menu_order: int
    post_parent: int | None
    password: str
    terms: tuple[WxrItemTerm, ...]
    postmeta: dict[str, str]
    comments: tuple[WxrComment, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(t.nicename or t.name for t in self.terms if t.domain == "category")

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(t.nicename or t.name for t in self.terms if t.domain == "post_tag")

    @property
    def thumbnail_id(self) -> int | None:
        """The attachment shown as the feature image (postmeta `_thumbnail_id`)."""
        value = self.postmeta.get("_thumbnail_id", "")
        return int(value) if value.isdigit() else None

    @property
    def old_urls(self) -> tuple[str, ...]:
        """Where the post lived: its permalink and its guid (often `/?p=123`)."""
        urls = [u for u in (self.link, self.guid) if u.startswith(("http://", "https://"))]
        return tuple(dict.fromkeys(urls))


@dataclass(frozen=True, slots=True)
class WxrAttachment:
    post_id: int
    title: str
    url: str  # wp:attachment_url, the file itself
    parent: int | None  # the post it was uploaded to
    link: str
    guid: str
    slug: str
    date_gmt: datetime | None
    creator: str
    postmeta: dict[str, str]
    comments: tuple[WxrComment, ...]


WxrRecord = WxrSite | WxrAuthor | WxrTerm | WxrPost | WxrAttachment


def read_wordpress(
    source: Source, *, progress: ProgressCallback | None = None
) -> Iterator[WxrRecord]:
    """Records of a WXR file, streamed; `progress` gets the bytes read so far."""
    with open_source(source) as raw:
        yield from _ChannelReader(XmlEvents(counting_xml_reader(raw, progress))).records()


# --- status mapping --------------------------------------------------------------------


_POST_STATUSES = {
    "publish": Mapped("published"),
    "draft": Mapped("draft"),
    "future": Mapped("scheduled"),
    "pending": Mapped("draft", "pending review in WordPress, imported as a draft"),
    "private": Mapped("draft", "private in WordPress, imported as a draft"),
}
_COMMENT_STATUSES = {
    "1": Mapped("approved"),
    "0": Mapped("pending"),
    "spam": Mapped("spam"),
    "trash": Mapped("trash"),
    "post-trashed": Mapped("trash", "trashed with its post in WordPress"),
}
_COMMENT_TYPES = {
    "": Mapped("comment"),
    "comment": Mapped("comment"),
    "pingback": Mapped("pingback"),
    "trackback": Mapped("pingback", "a trackback, imported as a pingback entry"),
    "webmention": Mapped("pingback", "a webmention, imported as a pingback entry"),
}


def map_post_status(wp_status: str) -> Mapped:
    """publish → published, draft → draft, future → scheduled, pending and private →
    draft (with a note); anything else (trash, auto-draft, inherit) is not imported."""
    return _POST_STATUSES.get(
        wp_status, Mapped(None, f"WordPress status {wp_status!r} is not imported")
    )


def map_comment_status(approved: str) -> Mapped:
    """1 → approved, 0 → pending, spam → spam, trash → trash."""
    return _COMMENT_STATUSES.get(
        approved, Mapped(None, f"comment approval {approved!r} is not a WordPress status")
    )


def map_comment_type(wp_type: str) -> Mapped:
    """Comments stay comments; pingbacks, trackbacks and webmentions become pingbacks."""
    return _COMMENT_TYPES.get(wp_type, Mapped(None, f"comment type {wp_type!r} is not imported"))


# --- parsing ---------------------------------------------------------------------------

_names: dict[str, str] = {}


def _name(tag: str) -> str:
    """A tag's short name: `{https://wordpress.org/export/1.2/}post_id` is `wp:post_id`,
    whichever WXR version or scheme the file uses."""
    known = _names.get(tag)
    if known is not None:
        return known
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        if uri in WP_NAMESPACES:
            short = f"wp:{local}"
        elif uri in _EXCERPT_NAMESPACES:
            short = f"excerpt:{local}"
        elif uri == _CONTENT_NAMESPACE:
            short = f"content:{local}"
        elif uri == _DC_NAMESPACE:
            short = f"dc:{local}"
        else:
            short = tag
    else:
        short = tag
    if len(_names) < 1000:  # a hostile file could invent names without end
        _names[tag] = short
    return short


class _ChannelReader:
    """Turns the parser's events into records: one channel child at a time, and inside
    an item one comment at a time (each folded into a WxrComment as it ends and dropped
    from the tree, so a post with 50,000 comments does not hold 50,000 subtrees)."""

    def __init__(self, events: XmlEvents):
        self._events = events
        self._declared: dict[str, str] = {}
        self._channel = None
        self._child = None  # the channel child being read
        self._comments: list[WxrComment] = []
        self._wxr_version = ""
        self._header: dict[str, str] = {}
        self._site_sent = False
        self._seen_terms: set[tuple[str, str]] = set()

    def records(self) -> Iterator[WxrRecord]:
        for event, payload in self._events:
            if event == "start-ns":
                prefix, uri = payload
                self._declared.setdefault(prefix, uri)
            elif event == "start":
                self._start(payload)
            else:
                yield from self._end(payload)
        if not self._wxr_version:
            raise ImportFileError("not a WordPress export: the RSS document has no <channel>")
        if not self._site_sent:
            yield _site(self._header, self._wxr_version)

    def _start(self, element) -> None:
        depth = self._events.depth
        if depth == 1 and element.tag != "rss":
            raise ImportFileError(
                f"not a WordPress export: the document is <{_shown(element.tag)}>, "
                "not an RSS <rss> document"
            )
        if depth == 2 and element.tag == "channel" and not self._wxr_version:
            self._wxr_version = _wxr_version(self._declared)
            self._channel = element
        elif depth == 3 and self._channel is not None:
            self._child = element

    def _end(self, element) -> Iterator[WxrRecord]:
        depth = self._events.depth
        if depth == 2 and element is self._channel:
            self._channel = None
        elif depth == 4 and self._child is not None and self._child.tag == "item":
            if _name(element.tag) == "wp:comment":
                self._comments.append(_comment(element))
                self._child.remove(element)
                self._events.released(sum(1 for _ in element.iter()))
        elif depth == 3 and self._channel is not None:
            yield from self._channel_child(element)
            # Done with it: the channel keeps no children, so memory holds one at a time.
            self._channel.clear()
            self._child = None
            self._comments = []
            self._events.released()

    def _channel_child(self, element) -> Iterator[WxrRecord]:
        name = _name(element.tag)
        if name in _HEADER_FIELDS and not self._site_sent:
            self._header.setdefault(name, text_of(element))
        if name not in _CHANNEL_RECORDS:
            return
        if not self._site_sent:
            self._site_sent = True
            yield _site(self._header, self._wxr_version)
        if name == "item":
            yield _item(element, self._comments)
            return
        term_or_author = _CHANNEL_RECORDS[name](element)
        if isinstance(term_or_author, WxrTerm):
            key = (term_or_author.kind, term_or_author.slug)
            if key in self._seen_terms:
                return  # WXR 1.2 lists some categories twice (wp:category and wp:term)
            self._seen_terms.add(key)
        yield term_or_author


def _shown(tag: str) -> str:
    return tag.rsplit("}", 1)[-1][:60]


def _wxr_version(declared: dict[str, str]) -> str:
    for uri in declared.values():
        if uri in WP_NAMESPACES:
            return WP_NAMESPACES[uri]
    unknown = declared.get("wp") or next(
        (uri for uri in declared.values() if _LOOKS_LIKE_WXR.match(uri)), None
    )
    if unknown:
        raise ImportFileError(
            f"unknown WordPress export namespace {unknown[:100]!r}; this reads WXR 1.0, "
            "1.1 and 1.2 (http(s)://wordpress.org/export/1.x/)"
        )
    raise ImportFileError(
        "an RSS feed but not a WordPress export: it has no wp: namespace "
        "(https://wordpress.org/export/1.2/)"
    )


_HEADER_FIELDS = {
    "title",
    "link",
    "description",
    "language",
    "wp:base_site_url",
    "wp:base_blog_url",
}


def _site(header: dict[str, str], wxr_version: str) -> WxrSite:
    return WxrSite(
        title=header.get("title", ""),
        link=header.get("link", ""),
        description=header.get("description", ""),
        language=header.get("language", ""),
        wxr_version=wxr_version,
        base_site_url=header.get("wp:base_site_url", ""),
        base_blog_url=header.get("wp:base_blog_url", ""),
    )


def _fields(element) -> dict[str, str]:
    values: dict[str, str] = {}
    for child in element:
        values.setdefault(_name(child.tag), text_of(child))
    return values


def _author(element) -> WxrAuthor:
    values = _fields(element)
    return WxrAuthor(
        id=optional_int(values.get("wp:author_id", ""), "an author's wp:author_id"),
        login=values.get("wp:author_login", ""),
        email=values.get("wp:author_email", ""),
        display_name=values.get("wp:author_display_name", ""),
        first_name=values.get("wp:author_first_name", ""),
        last_name=values.get("wp:author_last_name", ""),
    )


def _category(element) -> WxrTerm:
    values = _fields(element)
    return WxrTerm(
        kind="category",
        term_id=optional_int(values.get("wp:term_id", ""), "a category's wp:term_id"),
        slug=values.get("wp:category_nicename", ""),
        name=values.get("wp:cat_name", ""),
        parent=values.get("wp:category_parent") or None,
        description=values.get("wp:category_description", ""),
    )


def _tag(element) -> WxrTerm:
    values = _fields(element)
    return WxrTerm(
        kind="tag",
        term_id=optional_int(values.get("wp:term_id", ""), "a tag's wp:term_id"),
        slug=values.get("wp:tag_slug", ""),
        name=values.get("wp:tag_name", ""),
        parent=None,
        description=values.get("wp:tag_description", ""),
    )


_TAXONOMY_KINDS = {"category": "category", "post_tag": "tag"}


def _term(element) -> WxrTerm:
    values = _fields(element)
    taxonomy = values.get("wp:term_taxonomy", "")
    return WxrTerm(
        kind=_TAXONOMY_KINDS.get(taxonomy, taxonomy),
        term_id=optional_int(values.get("wp:term_id", ""), "a term's wp:term_id"),
        slug=values.get("wp:term_slug", ""),
        name=values.get("wp:term_name", ""),
        parent=values.get("wp:term_parent") or None,
        description=values.get("wp:term_description", ""),
    )


# WXR 1.0 wrote tags as domain="tag" and categories without a domain.
_ITEM_DOMAINS = {"": "category", "tag": "post_tag"}


def _item(element, comments: list[WxrComment]) -> WxrPost | WxrAttachment:
    """An item; its comments were folded into records as they ended (see _ChannelReader)."""
    values: dict[str, str] = {}
    content = excerpt = ""
    terms: dict[tuple[str, str], WxrItemTerm] = {}
    postmeta: dict[str, str] = {}
    for child in element:
        name = _name(child.tag)
        if name == "category":
            term = _item_term(child)
            # WXR 1.0 lists a category twice, once bare and once with its nicename.
            key = (term.domain, term.name)
            if key not in terms or (term.nicename and not terms[key].nicename):
                terms[key] = term
        elif name == "wp:postmeta":
            key, value = _meta(child)
            postmeta.setdefault(key, value)
        elif name == "content:encoded":
            content = child.text or ""  # as stored: the sanitiser decides what stays
        elif name == "excerpt:encoded":
            excerpt = child.text or ""
        else:
            values.setdefault(name, text_of(child))
    post_id = optional_int(values.get("wp:post_id", ""), "an item's wp:post_id")
    if post_id is None:
        title = values.get("title", "")[:60]
        raise ImportFileError(f"an item has no wp:post_id (title {title!r})")
    post_type = values.get("wp:post_type", "post")
    parent = optional_int(values.get("wp:post_parent", ""), f"item {post_id}'s wp:post_parent")
    if post_type == "attachment":
        return WxrAttachment(
            post_id=post_id,
            title=values.get("title", ""),
            url=values.get("wp:attachment_url", ""),
            parent=parent or None,
            link=values.get("link", ""),
            guid=values.get("guid", ""),
            slug=values.get("wp:post_name", ""),
            date_gmt=wordpress_datetime(values.get("wp:post_date_gmt", ""), utc=True),
            creator=values.get("dc:creator", ""),
            postmeta=postmeta,
            comments=tuple(comments),
        )
    return WxrPost(
        post_id=post_id,
        post_type=post_type,
        title=values.get("title", ""),
        link=values.get("link", ""),
        guid=values.get("guid", ""),
        slug=values.get("wp:post_name", ""),
        status=values.get("wp:status", ""),
        date=wordpress_datetime(values.get("wp:post_date", ""), utc=False),
        date_gmt=wordpress_datetime(values.get("wp:post_date_gmt", ""), utc=True),
        modified_gmt=wordpress_datetime(values.get("wp:post_modified_gmt", ""), utc=True),
        creator=values.get("dc:creator", ""),
        content=content,
        excerpt=excerpt,
        is_sticky=flag(values.get("wp:is_sticky", "0")),
        comment_status=values.get("wp:comment_status", ""),
        ping_status=values.get("wp:ping_status", ""),
        menu_order=optional_int(values.get("wp:menu_order", ""), f"item {post_id}'s menu_order")
        or 0,
        post_parent=parent or None,
        password=values.get("wp:post_password", ""),
        terms=tuple(terms.values()),
        postmeta=postmeta,
        comments=tuple(comments),
    )


def _item_term(element) -> WxrItemTerm:
    domain = element.get("domain", "")
    return WxrItemTerm(
        domain=_ITEM_DOMAINS.get(domain, domain),
        nicename=element.get("nicename") or None,
        name=text_of(element),
    )


def _meta(element) -> tuple[str, str]:
    key = value = ""
    for child in element:
        name = _name(child.tag)
        if name == "wp:meta_key":
            key = text_of(child)
        elif name == "wp:meta_value":
            value = child.text or ""
    return key, value


def _comment(element) -> WxrComment:
    values: dict[str, str] = {}
    content = ""
    meta: dict[str, str] = {}
    for child in element:
        name = _name(child.tag)
        if name == "wp:comment_content":
            content = child.text or ""
        elif name == "wp:commentmeta":
            key, value = _meta(child)
            meta.setdefault(key, value)
        else:
            values.setdefault(name, text_of(child))
    comment_id = optional_int(values.get("wp:comment_id", ""), "a comment's wp:comment_id")
    if comment_id is None:
        raise ImportFileError("a comment has no wp:comment_id")
    what = f"comment {comment_id}'s"
    return WxrComment(
        comment_id=comment_id,
        author=values.get("wp:comment_author", ""),
        author_email=values.get("wp:comment_author_email", ""),
        author_url=values.get("wp:comment_author_url", ""),
        author_ip=values.get("wp:comment_author_IP", ""),
        date=wordpress_datetime(values.get("wp:comment_date", ""), utc=False),
        date_gmt=wordpress_datetime(values.get("wp:comment_date_gmt", ""), utc=True),
        content=content,
        approved=values.get("wp:comment_approved", ""),
        type=values.get("wp:comment_type", "") or "comment",
        parent=optional_int(values.get("wp:comment_parent", ""), f"{what} parent") or None,
        user_id=optional_int(values.get("wp:comment_user_id", ""), f"{what} user_id") or None,
        meta=meta,
    )


_CHANNEL_RECORDS = {
    "wp:author": _author,
    "wp:category": _category,
    "wp:tag": _tag,
    "wp:term": _term,
    "item": _item,  # read with its comments by _ChannelReader
}
