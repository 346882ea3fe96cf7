"""Published posts, pages, authors and tags, paged by offset and filtered by id: the
reads other CMSs' APIs need (api/compat: WordPress's `page`/`offset`, `include`,
`author=1,2`, Ghost's `page`/`limit` and NQL filters).

`/v1` pages with keyset cursors (api/content/reading.py); these listings count the
total and skip rows, as WordPress and Ghost do, on the same columns and statements'
building blocks, and hand back the same `/v1` JSON (posts with their whole author and
tags). Everything is public: published posts and pages only.

Filters beyond the fixed ones arrive as a SQL condition built from `filter_fields()`
(the compat area compiles Ghost's NQL with it), so no other area needs our models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, exists, func, literal, or_, select

from api.cache import keys
from api.content import reading
from api.content.models import Author, Post, Tag, post_tags
from api.content.views import post_dumper
from api.infra.database import db

ORDER_COLUMNS: dict[str, Any] = {
    "published_at": Post.published_at,
    "updated_at": Post.updated_at,
    "created_at": Post.created_at,
    "title": Post.title,
    "slug": Post.slug,
    "id": Post.id,
    "featured": Post.featured,
    "author": Post.author_id,
}


@dataclass(frozen=True)
class ContentQuery:
    kind: str = "post"
    ids: tuple[int, ...] = ()
    exclude_ids: tuple[int, ...] = ()
    author_ids: tuple[int, ...] = ()
    tag_ids: tuple[int, ...] = ()  # any of them
    slugs: tuple[str, ...] = ()
    search: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    featured: bool | None = None
    where: ColumnElement[bool] | None = None
    order: tuple[tuple[str, bool], ...] = (("published_at", True),)  # (column, descending)
    offset: int = 0
    limit: int = 10


@dataclass(frozen=True)
class Listing:
    items: list[dict]
    total: int


def filter_fields() -> dict[str, Any]:
    """What a filter may name: plain columns, and relations as functions from a tuple of
    slugs to a "has one of them" condition."""

    def has_tag(slugs: tuple) -> ColumnElement[bool]:
        return exists().where(
            post_tags.c.post_id == Post.id,
            post_tags.c.tag_id == Tag.id,
            Tag.slug.in_(slugs),
        )

    def has_author(slugs: tuple) -> ColumnElement[bool]:
        return Post.author_id.in_(select(Author.id).where(Author.slug.in_(slugs)))

    return {
        "slug": Post.slug,
        "id": Post.id,
        "featured": Post.featured,
        "published_at": Post.published_at,
        "status": Post.status,
        "visibility": Post.visibility,
        "tag": has_tag,
        "author": has_author,
    }


def tag_filter_fields() -> dict[str, Any]:
    return {"slug": Tag.slug, "id": Tag.id, "visibility": literal("public", String)}


def author_filter_fields() -> dict[str, Any]:
    return {"slug": Author.slug, "id": Author.id}


def _dump() -> Callable:
    return post_dumper(staff=False, full_author=True, full_tags=True)


def list_content(query: ContentQuery) -> Listing:
    """One page of published posts (or pages) and the total matching."""
    conditions = [Post.type == query.kind, Post.status == "published"]
    if query.ids:
        conditions.append(Post.id.in_(query.ids))
    if query.exclude_ids:
        conditions.append(Post.id.not_in(query.exclude_ids))
    if query.author_ids:
        conditions.append(Post.author_id.in_(query.author_ids))
    if query.tag_ids:
        tagged = select(post_tags.c.post_id).where(post_tags.c.tag_id.in_(query.tag_ids))
        conditions.append(Post.id.in_(tagged))
    if query.slugs:
        conditions.append(Post.slug.in_(query.slugs))
    if query.published_after is not None:
        conditions.append(Post.published_at > query.published_after)
    if query.published_before is not None:
        conditions.append(Post.published_at < query.published_before)
    if query.featured is not None:
        conditions.append(Post.featured == query.featured)
    if query.where is not None:
        conditions.append(query.where)
    params: dict[str, Any] = {}
    if query.search is not None:
        search, params["q"] = reading._search(query.search)
        if search:
            conditions.append(reading._matches(search))
    where = and_(*conditions)
    total = db.session.execute(select(func.count()).select_from(Post).where(where), params)
    order = [_ordered(ORDER_COLUMNS[name], desc) for name, desc in query.order]
    if not any(name == "id" for name, _ in query.order):
        order.append(Post.id.desc() if query.order and query.order[0][1] else Post.id.asc())
    statement = (
        reading._select(reading.PostColumns())
        .where(where)
        .order_by(*order)
        .offset(query.offset)
        .limit(query.limit)
    )
    rows = db.session.execute(statement, params).all()
    records = reading._with_tags(rows, reading.PostColumns())
    # The same dependency keys as /v1's reads, so one change drops (and purges) both.
    keys.depends_on(keys.collection(query.kind))
    reading.depends_on_posts(records)
    dump = _dump()
    return Listing([dump(record) for record in records], int(total.scalar_one()))


def read_content(kind: str, *, post_id: int | None = None, slug: str | None = None) -> dict | None:
    """One published post or page by id or slug, as `/v1` shows it; None if none."""
    if post_id is not None:
        found = list_content(ContentQuery(kind=kind, ids=(post_id,), limit=1))
    else:
        found = list_content(ContentQuery(kind=kind, slugs=(slug or "",), limit=1))
    return found.items[0] if found.items else None


def _ordered(column, descending: bool):
    return column.desc() if descending else column.asc()


# --- authors and tags ---------------------------------------------------------------


@dataclass(frozen=True)
class TermQuery:
    ids: tuple[int, ...] = ()
    exclude_ids: tuple[int, ...] = ()
    slugs: tuple[str, ...] = ()
    search: str | None = None
    post_ids: tuple[int, ...] = ()  # tags of these posts (tags only)
    hide_empty: bool = False
    where: ColumnElement[bool] | None = None
    order: tuple[tuple[str, bool], ...] = (("name", False),)  # name, slug, id, count, ...
    offset: int = 0
    limit: int = 10


_PUBLISHED_POST = and_(Post.type == "post", Post.status == "published")


def _post_count(model):
    if model is Author:
        return (
            select(func.count())
            .select_from(Post)
            .where(_PUBLISHED_POST, Post.author_id == Author.id)
            .scalar_subquery()
        )
    return (
        select(func.count())
        .select_from(post_tags)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(_PUBLISHED_POST, post_tags.c.tag_id == Tag.id)
        .scalar_subquery()
    )


def list_authors(query: TermQuery) -> Listing:
    """Authors with their published post count (public fields only)."""
    return _list_terms(Author, query, _author_json)


def list_tags(query: TermQuery) -> Listing:
    return _list_terms(Tag, query, _tag_json)


def _list_terms(model, query: TermQuery, to_json: Callable) -> Listing:
    count = _post_count(model)
    conditions = []
    if query.ids:
        conditions.append(model.id.in_(query.ids))
    if query.exclude_ids:
        conditions.append(model.id.not_in(query.exclude_ids))
    if query.slugs:
        conditions.append(model.slug.in_(query.slugs))
    if query.search:
        pattern = "%" + query.search.lower().replace("%", "").replace("_", "") + "%"
        conditions.append(
            or_(func.lower(model.name).like(pattern), func.lower(model.slug).like(pattern))
        )
    if query.post_ids and model is Tag:
        tagged = select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(query.post_ids))
        conditions.append(Tag.id.in_(tagged))
    if query.hide_empty:
        conditions.append(count > 0)
    if query.where is not None:
        conditions.append(query.where)
    where = and_(*conditions) if conditions else None
    counted = select(func.count()).select_from(model)
    statement = select(model, count.label("post_count"))
    if where is not None:
        counted, statement = counted.where(where), statement.where(where)
    columns = {
        "name": model.name,
        "slug": model.slug,
        "id": model.id,
        "count": count,
        "created_at": model.created_at,
        "updated_at": model.updated_at,
    }
    order = [_ordered(columns[name], desc) for name, desc in query.order if name in columns]
    order.append(model.id.asc())
    rows = db.session.execute(
        statement.order_by(*order).offset(query.offset).limit(query.limit)
    ).all()
    total = int(db.session.execute(counted).scalar_one())
    key = keys.author if model is Author else keys.tag
    keys.depends_on(keys.AUTHORS if model is Author else keys.TAGS)
    keys.depends_on(*(key(item.id) for item, _ in rows))
    return Listing([to_json(item, post_count) for item, post_count in rows], total)


def _author_json(author: Author, post_count: int) -> dict:
    return {
        "id": author.id,
        "slug": author.slug,
        "name": author.name,
        "bio": author.bio,
        "website": author.website,
        "avatar_url": author.avatar_url,
        "created_at": author.created_at.isoformat(),
        "updated_at": author.updated_at.isoformat(),
        "post_count": int(post_count or 0),
    }


def _tag_json(tag: Tag, post_count: int) -> dict:
    return {
        "id": tag.id,
        "slug": tag.slug,
        "name": tag.name,
        "description": tag.description,
        "created_at": tag.created_at.isoformat(),
        "updated_at": tag.updated_at.isoformat(),
        "post_count": int(post_count or 0),
    }


def published_ids(kind: str | None = None):
    """A subquery of the ids of published posts (and pages): comments of anything else
    are never public."""
    query = select(Post.id).where(Post.status == "published")
    return query.where(Post.type == kind) if kind else query


def content_types(post_ids: set[int]) -> dict[int, str]:
    """post or page, by id."""
    if not post_ids:
        return {}
    return dict(db.session.execute(select(Post.id, Post.type).where(Post.id.in_(post_ids))).all())
