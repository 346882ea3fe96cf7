"""What readers see: approved comments and pingbacks of published posts, oldest first."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from api.cache import keys
from api.cache.keys import depends_on
from api.comments.intake import own_comment
from api.comments.models import MAX_ID, Comment
from api.content.services import find_post
from api.errors import NotFound
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from config import Settings

THREAD_ORDER = (SortKey(Comment.created_at, False, "datetime"), SortKey(Comment.id, False))
# Newest threads first, each thread oldest first below its top comment (a top comment's
# id orders threads: ids grow with time).
THREAD_ROOT = func.coalesce(Comment.thread_id, Comment.id)
NEWEST_FIRST = (
    SortKey(THREAD_ROOT, True),
    SortKey(Comment.created_at, False, "datetime"),
    SortKey(Comment.id, False),
)
ORDERS = {"oldest": THREAD_ORDER, "newest": NEWEST_FIRST}
KEYS_OF = {
    "oldest": lambda row: [row.created_at, row.id],
    "newest": lambda row: [row.thread_id or row.id, row.created_at, row.id],
}
# What a reader sees of a comment (CommentSchema): columns, not entities, because a
# page of 100 entities with their 25 columns costs more than the query (bench/README.md).
PUBLIC_COLUMNS = (
    Comment.id,
    Comment.type,
    Comment.status,
    Comment.body_html,
    Comment.author_name,
    Comment.author_url,
    Comment.author_photo,
    Comment.mention_type,
    Comment.parent_id,
    Comment.created_at,
)
# Built once: see api/content/reading.py on statements per request.
_THREAD = select(*PUBLIC_COLUMNS, Comment.thread_id).where(
    Comment.post_id == bindparam("post_id"), Comment.status == "approved"
)


def list_approved(
    slug: str,
    settings: Settings,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
    sort: str = "oldest",
) -> Page:
    """One page of a post's approved items as rows of PUBLIC_COLUMNS; `parent_id` lets a
    frontend build threads. Oldest first, or newest first (`sort`): the newest threads
    first, each still in reading order below its top comment, so a reply never comes
    before the comment it answers.

    Keyset pagination on (created_at, id), served by the (post_id, status, created_at,
    id) index, so a page costs the same however long the discussion.
    """
    post = find_post(slug=slug, site_url=settings.site_url)
    if post is None or post.status != "published":
        raise NotFound(f"No post with slug {slug!r}.")
    depends_on(keys.comments(post.id))  # its thread; the post's visibility carries it too
    return paginate(
        db.session,
        _THREAD,
        ORDERS[sort],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=KEYS_OF[sort],
        params={"post_id": post.id},
    )


def comment_for(comment_id: int, token: str | None, settings: Settings) -> tuple[Comment, bool]:
    """(comment, seen by its author): with its edit token a commenter sees their comment
    whatever its status; anyone sees an approved one on a published post."""
    if token is not None:
        return own_comment(comment_id, token), True
    comment = db.session.get(Comment, comment_id) if comment_id <= MAX_ID else None
    if comment is None or comment.status != "approved":
        raise NotFound("No such comment.")
    post = find_post(post_id=comment.post_id, site_url=settings.site_url)
    if post is None or post.status != "published":
        raise NotFound("No such comment.")
    return comment, False


_RECENT = select(*PUBLIC_COLUMNS, Comment.post_id, Comment.updated_at).where(
    Comment.status == "approved", Comment.type == "comment"
)


def recent_approved(post_id: int | None, limit: int) -> list:
    """The newest approved comments (of one post, or of all), newest first, for feeds.
    The caller checks that the post is published; across posts, only published posts'
    comments count (the caller filters by the posts it can name)."""
    query = _RECENT
    if post_id is not None:
        query = query.where(Comment.post_id == post_id)
    query = query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)
    return list(db.session.execute(query))
