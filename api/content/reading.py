"""Reading posts for their representations: Core rows, not ORM entities.

Writes go through the entities of api/content/models.py; reads only need columns. A page
of 20 posts loaded as entities (joined author, selectin tags: ~100 identity-mapped
objects) costs ten times the SQL itself (bench/README.md), so the list and the single
post select the columns a representation shows: each post with its author in one
statement, the tags of every post of the page in one more. Each comes back with a Post
entity's attribute names (`author` and `tags` included), so api/content/views.py dumps
it with the same schema as an entity.
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Row, Select, bindparam, func, select, text

from api.auth.policy import Actor, may_read_draft
from api.cache import keys
from api.content.models import Author, Post, PreviousSlug, Tag, post_tags
from api.errors import InvalidInput, NotFound
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate

_POST = (
    Post.id,
    Post.slug,
    Post.title,
    Post.excerpt,
    Post.auto_excerpt,
    Post.body_html,
    Post.status,
    Post.published_at,
    Post.created_at,
    Post.updated_at,
    Post.author_id,
    Post.comment_count,
    Post.comments_open,
    Post.feature_image,
    Post.feature_image_alt,
    Post.feature_image_caption,
    Post.featured,
    Post.meta_title,
    Post.meta_description,
    Post.og_image,
    Post.og_title,
    Post.og_description,
    Post.twitter_image,
    Post.twitter_title,
    Post.twitter_description,
    Post.canonical_url,
    Post.reading_time,
    Post.visibility,
)
# The author's id is the post's author_id; the rest is labelled so rows stay flat.
_AUTHOR = (
    Author.slug.label("author_slug"),
    Author.name.label("author_name"),
    Author.bio.label("author_bio"),
    Author.website.label("author_website"),
    Author.avatar_url.label("author_avatar_url"),
)
_TAG = (post_tags.c.post_id, Tag.id, Tag.slug, Tag.name, Tag.description)


@dataclass(frozen=True)
class PostColumns:
    """What a representation shows beyond the post's own columns."""

    body: bool = False  # the Markdown source and unpublish_at, for staff
    author: bool = True
    tags: bool = True


class AuthorRecord(NamedTuple):
    """A post's author as the post's row has it (the columns of _AUTHOR)."""

    id: int
    slug: str
    name: str
    bio: str
    website: str | None
    avatar_url: str | None


PostRecord = tuple  # a _record_type(...) instance: the attributes of a Post that it shows


@lru_cache(maxsize=16)
def _record_type(columns: tuple[str, ...]) -> type[tuple]:
    """A post read for a representation, with a Post entity's attribute names: the
    columns read, `author` (an AuthorRecord, None when not read) and `tags` (rows of
    id, slug, name, description by slug; empty when not read). The post schemas dump
    it as they dump the entity."""
    return namedtuple("PostRecord", (*columns, "author", "tags"))


@dataclass(frozen=True)
class PostFilters:
    tags: tuple[str, ...] = ()
    all_tags: bool = False  # every tag (`tag=a+b`), else any of them (`tag=a,b`)
    authors: tuple[str, ...] = ()  # any of them
    q: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    featured: bool | None = None
    status: str | None = None  # staff only; None means published
    sort: str | None = None  # e.g. "-published_at"; None: newest first (staff: created)


class Moved(Exception):
    """The slug is an old one of a post the caller may read: it lives at `slug` now."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


def list_posts(
    actor: Actor | None,
    filters: PostFilters,
    columns: PostColumns,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    kind: str = "post",
    count: bool = False,
) -> Page:
    """A page of posts or pages (items are PostRecords): published ones, newest first;
    staff may ask for drafts, scheduled or any, newest created first. `sort` orders by
    published_at, updated_at or title instead; the cursor carries that order's key."""
    status = filters.status if actor is not None and actor.can_read_drafts else None
    published = status in (None, "published")
    own = not published and not actor.sees_all_posts
    order = _order(filters.sort, published, status)
    params = {
        "type": kind,
        "status": "published" if published else status,
        "own_author": actor.author_id if own else None,
        "tags": list(filters.tags),
        "tag_count": len(filters.tags),
        "authors": list(filters.authors),
        "published_after": filters.published_after,
        "published_before": filters.published_before,
        "featured": filters.featured,
    }
    search, params["q"] = _search(filters.q)
    shape = _ListShape(
        columns,
        status=status != "any",
        own=own,
        tags="all" if filters.all_tags else "any" if filters.tags else None,
        authors=bool(filters.authors),
        after=bool(filters.published_after),
        before=bool(filters.published_before),
        featured=filters.featured is not None,
        search=search,
    )
    page = paginate(
        db.session,
        _list_statement(shape),
        order.keys,
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=order.key_of,
        params=params,
        count=count,
        count_query=_list_statement(replace(shape, columns=_COUNTED)) if count else None,
    )
    page.items = _with_tags(page.items, columns)
    return page


def cursor_salt(kind: str, sort: str | None) -> str:
    """Cursors of one listing order are no use in another: each order signs its own."""
    name = "posts" if kind == "post" else "pages"
    return name if sort is None else f"{name}:{sort}"


def read_post(
    actor: Actor | None, slug: str, columns: PostColumns, kind: str = "post"
) -> PostRecord:
    """One post (or page) by slug; a draft or scheduled one only for staff who may read
    it. An old slug of one the caller may read raises Moved with its current slug."""
    post = db.session.execute(_post_statement(columns), {"slug": slug, "type": kind}).first()
    if post is None:
        current = db.session.execute(_RENAMED, {"slug": slug, "type": kind}).first()
        if current is not None and _may_read(actor, current):
            raise Moved(current.slug)
    if post is None or not _may_read(actor, post):
        raise NotFound(f"No {kind} with slug {slug!r}.")
    return _with_tags([post], columns)[0]


def _may_read(actor: Actor | None, post: Row) -> bool:
    return post.status == "published" or may_read_draft(actor, post.author_id)


# The post or page an old slug names now (previous_slugs' primary key, then posts').
_RENAMED = (
    select(Post.slug, Post.status, Post.author_id)
    .join(PreviousSlug, PreviousSlug.post_id == Post.id)
    .where(PreviousSlug.slug == bindparam("slug"), Post.type == bindparam("type"))
)


# --- the statements, built once per shape ---------------------------------------------
#
# Every value is a bind parameter, so a shape's statement is built once and SQLAlchemy
# finds its compiled form without re-deriving a cache key from a new statement on each
# request (about 0.3 ms a request, more than running the SQL).

_COUNTED = PostColumns(body=False, author=False, tags=False)  # a count needs no join


class _Order(NamedTuple):
    keys: tuple[SortKey, ...]
    key_of: object  # row -> the values of `keys`, for the next cursor


# Every order ends with the id, so rows with equal keys still page exactly once.
_ORDERS = {
    column: {
        descending: _Order(
            (SortKey(getattr(Post, column), descending, kind), SortKey(Post.id, descending)),
            lambda row, column=column: [getattr(row, column), row.id],
        )
        for descending in (False, True)
    }
    for column, kind in (
        ("published_at", "datetime"),
        ("updated_at", "datetime"),
        ("title", "str"),
        ("created_at", "datetime"),
    )
}
SORTS = tuple(
    f"{sign}{column}" for column in ("published_at", "updated_at", "title") for sign in ("", "-")
)


def _order(sort: str | None, published: bool, status: str | None) -> _Order:
    if sort is None:
        return _ORDERS["published_at" if published else "created_at"][True]
    column = sort.lstrip("-")
    if column == "published_at" and status in ("draft", "any"):
        # Drafts have no published_at to order by (or to carry in a cursor).
        raise InvalidInput(
            errors={"sort": ["Drafts have no published_at: sort them by updated_at or title."]}
        )
    return _ORDERS[column][sort.startswith("-")]


@dataclass(frozen=True)
class _ListShape:
    columns: PostColumns
    status: bool  # one status (else any)
    own: bool  # an author's own posts only
    tags: str | None  # "any" or "all" of :tags
    authors: bool
    after: bool
    before: bool
    featured: bool
    search: str | None  # full-text: "sqlite", "postgresql", or "nothing" (no words)


@lru_cache(maxsize=256)
def _list_statement(shape: _ListShape) -> Select:
    query = _select(shape.columns).where(Post.type == bindparam("type"))
    if shape.status:
        query = query.where(Post.status == bindparam("status"))
    if shape.own:
        query = query.where(Post.author_id == bindparam("own_author"))
    if shape.tags:
        tagged = (
            select(post_tags.c.post_id)
            .join(Tag, Tag.id == post_tags.c.tag_id)
            .where(Tag.slug.in_(bindparam("tags", expanding=True)))
        )
        if shape.tags == "all":
            tagged = tagged.group_by(post_tags.c.post_id).having(
                func.count() == bindparam("tag_count")
            )
        query = query.where(Post.id.in_(tagged))
    if shape.authors:
        query = query.where(
            Post.author_id.in_(
                select(Author.id).where(Author.slug.in_(bindparam("authors", expanding=True)))
            )
        )
    if shape.featured:
        query = query.where(Post.featured == bindparam("featured"))
    if shape.after:
        query = query.where(Post.published_at > bindparam("published_after"))
    if shape.before:
        query = query.where(Post.published_at < bindparam("published_before"))
    if shape.search:
        query = query.where(_matches(shape.search))
    return query


@lru_cache(maxsize=16)
def _post_statement(columns: PostColumns) -> Select:
    return _select(columns).where(Post.slug == bindparam("slug"), Post.type == bindparam("type"))


def _select(columns: PostColumns) -> Select:
    chosen = [*_POST, Post.body, Post.unpublish_at] if columns.body else list(_POST)
    if not columns.author:
        return select(*chosen)
    # An inner join, as the entity's author relationship is: every post has an author.
    return select(*chosen, *_AUTHOR).join(Author, Author.id == Post.author_id)


_TAGS = (
    select(*_TAG)
    .join(Tag, Tag.id == post_tags.c.tag_id)
    .where(post_tags.c.post_id.in_(bindparam("post_ids", expanding=True)))
    .order_by(Tag.slug)
)


def depends_on_posts(records) -> None:
    """Declare the cache keys of posts as read (api/cache/keys.py): each post, its
    author and its tags."""
    for record in records:
        keys.depends_on(
            keys.post(record.id),
            keys.author(record.author_id),
            *(keys.tag(tag.id) for tag in record.tags),
        )


def _with_tags(posts: list[Row], columns: PostColumns) -> list[PostRecord]:
    if not posts:
        return []
    record = _record_type(posts[0]._fields)
    tags: dict[int, list[Row]] = {post.id: [] for post in posts}
    if columns.tags:
        for row in db.session.execute(_TAGS, {"post_ids": list(tags)}):
            tags[row.post_id].append(row)
    # tuple.__new__: a named tuple's own __new__ takes each field as an argument, which
    # costs three times as much for 35 of them.
    if not columns.author:
        return [_new(record, (*post, None, tags[post.id])) for post in posts]
    return [_new(record, (*post, _author(post), tags[post.id])) for post in posts]


_new = tuple.__new__


def _author(post: Row) -> AuthorRecord:
    return _new(
        AuthorRecord,
        (
            post.author_id,
            post.author_slug,
            post.author_name,
            post.author_bio,
            post.author_website,
            post.author_avatar_url,
        ),
    )


def _search(q: str | None) -> tuple[str | None, str | None]:
    """How `_matches` matches a full-text query, and its words as `:q` for that."""
    if not q:
        return None, None
    words = _WORD.findall(q)[:20]
    if not words:
        return "nothing", None
    if db.session.get_bind().dialect.name == "postgresql":
        return "postgresql", " ".join(words)
    return "sqlite", " ".join(f'"{word}"' for word in words)


_WORD = re.compile(r"\w+", re.UNICODE)


def _matches(search: str):
    """Full-text match over title and body: FTS5 on SQLite, tsvector + GIN on PostgreSQL,
    with the words in `:q`.

    Both indexes are created by the migrations; every word of `q` must occur.
    """
    if search == "nothing":
        return Post.id.is_(None)
    if search == "postgresql":
        return text(
            "to_tsvector('simple', posts.title || ' ' || posts.body) "
            "@@ plainto_tsquery('simple', :q)"
        )
    return Post.id.in_(
        select(text("rowid")).select_from(text("posts_fts")).where(text("posts_fts MATCH :q"))
    )
