"""Approved comments across posts, paged by offset: what WordPress's
`GET /wp/v2/comments` lists (`post`, `parent`, `include`, `search`, `after`, ...).

Only approved comments and pingbacks of published posts and pages, as everywhere a
reader looks (api/comments/reading.py); rows of reading.PUBLIC_COLUMNS plus the post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from api.cache import keys
from api.comments.models import Comment
from api.comments.reading import PUBLIC_COLUMNS
from api.content.listing import published_ids
from api.infra.database import db

_ORDER = {
    "date": Comment.created_at,
    "date_gmt": Comment.created_at,
    "id": Comment.id,
    "post": Comment.post_id,
    "parent": Comment.parent_id,
    "type": Comment.type,
}


@dataclass(frozen=True)
class CommentQuery:
    ids: tuple[int, ...] = ()
    exclude_ids: tuple[int, ...] = ()
    post_ids: tuple[int, ...] = ()
    parent_ids: tuple[int, ...] = ()
    search: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    types: tuple[str, ...] = ("comment",)
    order: tuple[tuple[str, bool], ...] = (("date", True),)
    offset: int = 0
    limit: int = 10


@dataclass(frozen=True)
class CommentListing:
    rows: list[Any]  # PUBLIC_COLUMNS + post_id
    total: int
    with_replies: set[int]  # ids among rows that have approved replies


def list_public(query: CommentQuery) -> CommentListing:
    conditions = [Comment.status == "approved", Comment.post_id.in_(published_ids())]
    if query.ids:
        conditions.append(Comment.id.in_(query.ids))
    if query.exclude_ids:
        conditions.append(Comment.id.not_in(query.exclude_ids))
    if query.post_ids:
        conditions.append(Comment.post_id.in_(query.post_ids))
    if query.parent_ids:
        parents = [pid for pid in query.parent_ids if pid]
        wanted = [Comment.parent_id.in_(parents)] if parents else []
        if 0 in query.parent_ids:
            wanted.append(Comment.parent_id.is_(None))
        conditions.append(or_(*wanted))
    if query.search:
        pattern = "%" + query.search.lower().replace("%", "").replace("_", "") + "%"
        conditions.append(
            or_(
                func.lower(Comment.body).like(pattern),
                func.lower(Comment.author_name).like(pattern),
            )
        )
    if query.after is not None:
        conditions.append(Comment.created_at > query.after)
    if query.before is not None:
        conditions.append(Comment.created_at < query.before)
    if query.types:
        conditions.append(Comment.type.in_(query.types))
    where = and_(*conditions)
    total = int(db.session.scalar(select(func.count()).select_from(Comment).where(where)) or 0)
    order = [
        _ORDER[name].desc() if desc else _ORDER[name].asc()
        for name, desc in query.order
        if name in _ORDER
    ]
    order.append(Comment.id.desc() if query.order and query.order[0][1] else Comment.id.asc())
    rows = db.session.execute(
        select(*PUBLIC_COLUMNS, Comment.post_id)
        .where(where)
        .order_by(*order)
        .offset(query.offset)
        .limit(query.limit)
    ).all()
    ids = [row.id for row in rows]
    replied: set[int] = set()
    if ids:
        replied = set(
            db.session.scalars(
                select(Comment.parent_id)
                .where(Comment.parent_id.in_(ids), Comment.status == "approved")
                .distinct()
            )
        )
    # Comments of named posts depend on those threads; a site-wide list on everything.
    if query.post_ids:
        keys.depends_on(*(keys.comments(post_id) for post_id in query.post_ids))
    else:
        keys.depends_on(keys.EVERYTHING)
    return CommentListing(rows, total, replied)
