"""A reader of Ghost's JSON export (Settings → Labs → Export your content).

The file mirrors Ghost's database tables: `{"db": [{"meta": {"exported_on": …,
"version": "5.x"}, "data": {"posts": […], "posts_meta": […], "tags": […], "users":
[…], "posts_tags": […], "posts_authors": […], …}}]}`; the `db` wrapper is optional.
Since Ghost 3.0 a post's SEO and social fields (meta_title, og_*, twitter_*,
feature_image_alt/caption) live in `posts_meta`, before that on the post; since 3.0
pages are `type: "page"`, before that `page: 1`; since 1.22 authors come from
`posts_authors` (the lowest `sort_order` is the primary author), before that from the
post's `author_id`. All of these are read. Ghost writes its own origin as
`__GHOST_URL__` in links and image URLs; the reader replaces it with `site_url`
(default "", which leaves site-relative paths such as `/content/images/x.jpg`).

Why not streaming: a content export is small (members, emails and sessions are
optional backup tables Ghost leaves out of it; its own test fixture of a fresh 4.x
site is 230 kB), and joining posts to their tags and authors needs the relation tables,
which come after the posts. So the file is read whole with the standard library's json
(no new dependency), up to `max_bytes`: 64 MiB by default, thousands of posts with
their html, mobiledoc/lexical and plaintext. Reading costs about 2.7 times the file's
size at the peak (bench/import_memory.py: a 60 MB export of 10,000 posts, 160 MB). A
larger file is refused with a clear message rather than exhausting memory; the caller
can raise the limit.

`read_ghost(path_or_file)` yields one `GhostSite`, then `GhostUser`s, `GhostTag`s and
`GhostPost`s (pages included, `type == "page"`). Users' password hashes are never read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.transfer.errors import ImportFileError
from api.transfer.mapped import Mapped
from api.transfer.source import CountingReader, ProgressCallback, Source, open_source, source_size
from api.transfer.values import iso_datetime

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
GHOST_URL_PLACEHOLDER = "__GHOST_URL__"
_READ_CHUNK = 1024 * 1024
# Moved from posts to posts_meta in Ghost 3.0; read from either.
_META_FIELDS = (
    "meta_title",
    "meta_description",
    "og_image",
    "og_title",
    "og_description",
    "twitter_image",
    "twitter_title",
    "twitter_description",
    "feature_image_alt",
    "feature_image_caption",
)


@dataclass(frozen=True, slots=True)
class GhostSite:
    version: str  # the Ghost version that wrote the file ("003" for very old ones)
    exported_on: datetime | None


@dataclass(frozen=True, slots=True)
class GhostUser:
    id: str
    name: str
    slug: str
    email: str
    bio: str
    website: str
    location: str
    profile_image: str
    status: str  # active, inactive, locked, …


@dataclass(frozen=True, slots=True)
class GhostTag:
    id: str
    name: str
    slug: str
    description: str
    feature_image: str
    parent_id: str | None
    is_internal: bool  # Ghost's internal tags: visibility "internal", name starts with #
    meta_title: str
    meta_description: str


@dataclass(frozen=True, slots=True)
class GhostPost:
    id: str
    uuid: str
    type: str  # "post" or "page"
    title: str
    slug: str
    status: str  # Ghost's: published, draft, scheduled, sent
    html: str | None  # the rendering Ghost stored; None when only mobiledoc/lexical is
    lexical: str | None
    mobiledoc: str | None
    plaintext: str
    feature_image: str
    feature_image_alt: str
    feature_image_caption: str
    featured: bool
    visibility: str  # public, members, paid, tiers
    custom_excerpt: str
    meta_title: str
    meta_description: str
    og_image: str
    og_title: str
    og_description: str
    twitter_image: str
    twitter_title: str
    twitter_description: str
    canonical_url: str
    published_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    author_ids: tuple[str, ...]  # in Ghost's sort_order: the first is the primary author
    author_slugs: tuple[str, ...]
    tag_ids: tuple[str, ...]  # in Ghost's sort_order: the first is the primary tag
    tag_slugs: tuple[str, ...]

    @property
    def primary_author_id(self) -> str | None:
        return self.author_ids[0] if self.author_ids else None


GhostRecord = GhostSite | GhostUser | GhostTag | GhostPost

_POST_STATUSES = {
    "published": Mapped("published"),
    "draft": Mapped("draft"),
    "scheduled": Mapped("scheduled"),
    "sent": Mapped(
        "draft", "sent as an email only in Ghost (never on the site), imported as a draft"
    ),
}


def map_ghost_status(status: str) -> Mapped:
    return _POST_STATUSES.get(status, Mapped(None, f"Ghost status {status!r} is not imported"))


def read_ghost(
    source: Source,
    *,
    site_url: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: ProgressCallback | None = None,
) -> Iterator[GhostRecord]:
    """Records of a Ghost export; `progress` gets the bytes read so far."""
    tables, meta = _load(source, max_bytes, progress)
    resolve = _UrlResolver(site_url.rstrip("/"))
    yield GhostSite(
        version=_text(meta, "version"), exported_on=iso_datetime(meta.get("exported_on"))
    )
    users = {str(row.get("id")): row for row in _table(tables, "users")}
    for row in users.values():
        yield _user(row, resolve)
    tags = {str(row.get("id")): row for row in _table(tables, "tags")}
    for row in tags.values():
        yield _tag(row, resolve)
    authors_of = _relations(_table(tables, "posts_authors"), "author_id")
    tags_of = _relations(_table(tables, "posts_tags"), "tag_id")
    meta_of = {str(row.get("post_id")): row for row in _table(tables, "posts_meta")}
    for row in _table(tables, "posts", required=True):
        post_id = str(row.get("id"))
        author_ids = authors_of.get(post_id) or _legacy_author(row)
        tag_ids = tags_of.get(post_id, ())
        yield _post(
            row,
            meta_of.get(post_id, {}),
            author_ids=author_ids,
            author_slugs=tuple(_text(users[a], "slug") for a in author_ids if a in users),
            tag_ids=tag_ids,
            tag_slugs=tuple(_text(tags[t], "slug") for t in tag_ids if t in tags),
            resolve=resolve,
        )


def _load(source: Source, max_bytes: int, progress) -> tuple[dict, dict]:
    size = source_size(source)
    if size is not None and size > max_bytes:
        raise ImportFileError(_too_large(size, max_bytes))
    with open_source(source) as raw:
        stream = CountingReader(raw, progress=progress)
        # One growing buffer, not a list of chunks joined at the end: the join would
        # hold the file twice at the peak.
        content = bytearray()
        while chunk := stream.read(_READ_CHUNK):
            content += chunk
            if len(content) > max_bytes:
                raise ImportFileError(_too_large(len(content), max_bytes))
    if not content.strip():
        raise ImportFileError("the file is empty")
    try:
        text = content.decode("utf-8-sig")  # Ghost writes UTF-8
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"invalid UTF-8 at byte {exc.start}") from None
    # Parse from the text alone: the bytes, the text and the parsed rows together would
    # be the peak (json.loads(bytes) keeps both), a quarter more memory.
    del content
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise ImportFileError("not a Ghost export: JSON nested too deeply") from None
    return _unwrap(document)


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"the file is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB this "
        "reads into memory at once; raise the limit if the machine has room"
    )


_SHAPE = 'expected {"db": [{"meta": {…}, "data": {"posts": […], …}}]}'


def _unwrap(document: Any) -> tuple[dict, dict]:
    """The data and meta objects, with or without Ghost's `db` wrapper."""
    if isinstance(document, dict) and "db" in document:
        entries = document["db"]
        if not isinstance(entries, list) or not entries:
            raise ImportFileError(f"not a Ghost export: {_SHAPE}")
        document = entries[0]
    if not isinstance(document, dict):
        raise ImportFileError(f"not a Ghost export: {_SHAPE}")
    meta, data = document.get("meta"), document.get("data")
    if not isinstance(meta, dict) or not isinstance(data, dict):
        raise ImportFileError(f"not a Ghost export: {_SHAPE}")
    return data, meta


def _table(tables: dict, name: str, *, required: bool = False) -> list[dict]:
    rows = tables.get(name)
    if rows is None and not required:
        return []
    if not isinstance(rows, list):
        raise ImportFileError(f"not a Ghost export: data.{name} is not a list of rows")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ImportFileError(f"not a Ghost export: data.{name}[{index}] is not an object")
    return rows


def _relations(rows: list[dict], target: str) -> dict[str, tuple[str, ...]]:
    """post id → related ids in sort_order (file order among equals, as Ghost does)."""
    grouped: dict[str, list[tuple[int, int, str]]] = {}
    for position, row in enumerate(rows):
        order = row.get("sort_order")
        order = order if isinstance(order, int) and not isinstance(order, bool) else 0
        grouped.setdefault(str(row.get("post_id")), []).append(
            (order, position, str(row.get(target)))
        )
    return {
        post: tuple(related for *_, related in sorted(entries)) for post, entries in grouped.items()
    }


def _legacy_author(row: dict) -> tuple[str, ...]:
    author = row.get("author_id")
    return (str(author),) if author not in (None, "") else ()


def _text(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _optional_text(row: dict, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


class _UrlResolver:
    def __init__(self, site_url: str):
        self._site_url = site_url

    def __call__(self, value: str | None) -> str | None:
        if value is None or GHOST_URL_PLACEHOLDER not in value:
            return value
        return value.replace(GHOST_URL_PLACEHOLDER, self._site_url)


def _user(row: dict, resolve: _UrlResolver) -> GhostUser:
    return GhostUser(
        id=str(row.get("id")),
        name=_text(row, "name"),
        slug=_text(row, "slug"),
        email=_text(row, "email"),
        bio=_text(row, "bio"),
        website=resolve(_text(row, "website")),
        location=_text(row, "location"),
        profile_image=resolve(_text(row, "profile_image")),
        status=_text(row, "status"),
    )


def _tag(row: dict, resolve: _UrlResolver) -> GhostTag:
    name = _text(row, "name")
    return GhostTag(
        id=str(row.get("id")),
        name=name,
        slug=_text(row, "slug"),
        description=_text(row, "description"),
        feature_image=resolve(_text(row, "feature_image")),
        parent_id=_optional_text(row, "parent_id"),
        is_internal=row.get("visibility") == "internal" or name.startswith("#"),
        meta_title=_text(row, "meta_title"),
        meta_description=_text(row, "meta_description"),
    )


def _post(
    row: dict,
    meta: dict,
    *,
    author_ids: tuple[str, ...],
    author_slugs: tuple[str, ...],
    tag_ids: tuple[str, ...],
    tag_slugs: tuple[str, ...],
    resolve: _UrlResolver,
) -> GhostPost:
    seo = {key: _text(meta, key) if key in meta else _text(row, key) for key in _META_FIELDS}
    legacy_page = row.get("page") in (1, True, "1", "true")
    return GhostPost(
        id=str(row.get("id")),
        uuid=_text(row, "uuid"),
        type=_text(row, "type") or ("page" if legacy_page else "post"),
        title=_text(row, "title"),
        slug=_text(row, "slug"),
        status=_text(row, "status"),
        html=resolve(_optional_text(row, "html")),
        lexical=resolve(_optional_text(row, "lexical")),
        mobiledoc=resolve(_optional_text(row, "mobiledoc")),
        plaintext=resolve(_text(row, "plaintext")),
        feature_image=resolve(_text(row, "feature_image")),
        feature_image_alt=seo["feature_image_alt"],
        feature_image_caption=seo["feature_image_caption"],
        featured=row.get("featured") in (1, True, "1", "true"),
        visibility=_text(row, "visibility") or "public",
        custom_excerpt=_text(row, "custom_excerpt"),
        meta_title=seo["meta_title"],
        meta_description=seo["meta_description"],
        og_image=resolve(seo["og_image"]),
        og_title=seo["og_title"],
        og_description=seo["og_description"],
        twitter_image=resolve(seo["twitter_image"]),
        twitter_title=seo["twitter_title"],
        twitter_description=seo["twitter_description"],
        canonical_url=resolve(_text(row, "canonical_url")),
        published_at=iso_datetime(row.get("published_at")),
        created_at=iso_datetime(row.get("created_at")),
        updated_at=iso_datetime(row.get("updated_at")),
        author_ids=author_ids,
        author_slugs=author_slugs,
        tag_ids=tag_ids,
        tag_slugs=tag_slugs,
    )
