"""Reading posts for their representations: Core rows, not ORM entities.

Writes go through the entities of api/content/models.py; reads only need columns. A page
of 20 posts loaded as entities (joined author, selectin tags: ~100 identity-mapped
objects) cost ten times the SQL itself (bench/README.md), so the list and the single
post select the columns a representation shows: each post with its author in one
statement, the tags of every post of the page in one more. api/content/views.py turns
the rows into JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Row, Select, bindparam, select, text

from api.auth.policy import Actor, may_read_draft
from api.content.models import Author, Post, Tag, post_tags
from api.errors import NotFound
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

    body: bool = False  # the Markdown source, for staff
    author: bool = True
    tags: bool = True


class PostRecord(NamedTuple):
    post: Row  # the post's columns, and its author's as author_<name> when loaded
    tags: list[Row]  # id, slug, name, description, ordered by slug; [] when not loaded


@dataclass(frozen=True)
class PostFilters:
    tag: str | None = None
    author: str | None = None
    q: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    status: str | None = None  # staff only; None means published


def list_posts(
    actor: Actor | None,
    filters: PostFilters,
    columns: PostColumns,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
) -> Page:
    """A page of posts (items are PostRecords): published ones, newest first; staff may
    ask for drafts, scheduled or any, newest created first."""
    status = filters.status if actor is not None and actor.can_read_drafts else None
    published = status in (None, "published")
    own = not published and not actor.sees_all_posts
    params = {
        "status": "published" if published else status,
        "own_author": actor.author_id if own else None,
        "tag": filters.tag,
        "author": filters.author,
        "published_after": filters.published_after,
        "published_before": filters.published_before,
    }
    search, params["q"] = _search(filters.q)
    shape = _ListShape(
        columns,
        published=published,
        status=status != "any",
        own=own,
        tag=bool(filters.tag),
        author=bool(filters.author),
        after=bool(filters.published_after),
        before=bool(filters.published_before),
        search=search,
    )
    page = paginate(
        db.session,
        _list_statement(shape),
        PUBLISHED_ORDER if published else CREATED_ORDER,
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=_published_key if published else _created_key,
        params=params,
        count=count,
        count_query=_list_statement(replace(shape, columns=_COUNTED)) if count else None,
    )
    page.items = _with_tags(page.items, columns)
    return page


def read_post(actor: Actor | None, slug: str, columns: PostColumns) -> PostRecord:
    """One post by slug; a draft or scheduled post only for staff who may read it."""
    post = db.session.execute(_post_statement(columns), {"slug": slug}).first()
    if post is None or (post.status != "published" and not may_read_draft(actor, post.author_id)):
        raise NotFound(f"No post with slug {slug!r}.")
    return _with_tags([post], columns)[0]


# --- the statements, built once per shape ---------------------------------------------
#
# Every value is a bind parameter, so a shape's statement is built once and SQLAlchemy
# finds its compiled form without re-deriving a cache key from a new statement on each
# request (that was ~0.3 ms of a request, more than running the SQL).

_COUNTED = PostColumns(body=False, author=False, tags=False)  # a count needs no join
PUBLISHED_ORDER = (SortKey(Post.published_at, True, "datetime"), SortKey(Post.id, True))
CREATED_ORDER = (SortKey(Post.created_at, True, "datetime"), SortKey(Post.id, True))


@dataclass(frozen=True)
class _ListShape:
    columns: PostColumns
    published: bool  # the public list (else staff's, by created_at)
    status: bool  # one status (else any)
    own: bool  # an author's own posts only
    tag: bool
    author: bool
    after: bool
    before: bool
    search: str | None  # full-text: "sqlite", "postgresql", or "nothing" (no words)


@lru_cache(maxsize=256)
def _list_statement(shape: _ListShape) -> Select:
    query = _select(shape.columns)
    if shape.status:
        query = query.where(Post.status == bindparam("status"))
    if shape.own:
        query = query.where(Post.author_id == bindparam("own_author"))
    if shape.tag:
        query = query.where(
            Post.id.in_(select(post_tags.c.post_id).join(Tag).where(Tag.slug == bindparam("tag")))
        )
    if shape.author:
        query = query.where(
            Post.author_id
            == select(Author.id).where(Author.slug == bindparam("author")).scalar_subquery()
        )
    if shape.after:
        query = query.where(Post.published_at > bindparam("published_after"))
    if shape.before:
        query = query.where(Post.published_at < bindparam("published_before"))
    if shape.search:
        query = query.where(_matches(shape.search))
    return query


@lru_cache(maxsize=16)
def _post_statement(columns: PostColumns) -> Select:
    return _select(columns).where(Post.slug == bindparam("slug"))


def _select(columns: PostColumns) -> Select:
    chosen = [*_POST, Post.body] if columns.body else list(_POST)
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


def _with_tags(posts: list[Row], columns: PostColumns) -> list[PostRecord]:
    if not columns.tags or not posts:
        return [PostRecord(post, []) for post in posts]
    tags: dict[int, list[Row]] = {post.id: [] for post in posts}
    for row in db.session.execute(_TAGS, {"post_ids": list(tags)}):
        tags[row.post_id].append(row)
    return [PostRecord(post, tags[post.id]) for post in posts]


def _published_key(post: Row) -> list:
    return [post.published_at, post.id]


def _created_key(post: Row) -> list:
    return [post.created_at, post.id]


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
