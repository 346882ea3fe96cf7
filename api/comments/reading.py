"""What readers see: approved comments and pingbacks of published posts, oldest first."""

from __future__ import annotations

from sqlalchemy import select

from api.comments.intake import MAX_ID, own_comment
from api.comments.models import Comment
from api.content.services import find_post
from api.errors import NotFound
from api.extensions import db
from api.pagination import CursorCodec, Page, SortKey, paginate
from config import Settings

THREAD_ORDER = (SortKey(Comment.created_at, False, "datetime"), SortKey(Comment.id, False))


def list_approved(
    slug: str, settings: Settings, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page:
    """One page of a post's approved items; `parent_id` lets a frontend build threads.

    Keyset pagination on (created_at, id), served by the (post_id, status, created_at,
    id) index, so a page costs the same however long the discussion.
    """
    post = find_post(slug=slug, site_url=settings.site_url)
    if post is None or post.status != "published":
        raise NotFound(f"No post with slug {slug!r}.")
    query = select(Comment).where(Comment.post_id == post.id, Comment.status == "approved")
    return paginate(
        db.session,
        query,
        THREAD_ORDER,
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=lambda comment: [comment.created_at, comment.id],
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
