"""Comment use cases other areas call: pingback entries (for linkbacks), counts, imports,
and the comments' side of a post's deletion. All of them join the caller's unit of work.

Every comment added or removed here also tells api/comments/status_counts.py.
"""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy import func, select

from api.comments import status_counts
from api.comments.models import Comment
from api.comments.rules import Author
from api.content.services import set_comment_count
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra.database import db
from api.rendering import render_comment


def comment_data(comment: Comment) -> dict:
    """A comment as events carry it: nothing private (no email, IP or identity)."""
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "type": comment.type,
        "status": comment.status,
        "parent_id": comment.parent_id,
        "author_name": comment.author_name,
        "author_url": comment.author_url,
        "source_url": comment.source_url,
    }


def recount(post_id: int) -> None:
    """Store the post's approved comment and pingback count (in the caller's transaction)."""
    approved = db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.post_id == post_id, Comment.status == "approved")
    )
    set_comment_count(post_id, approved)


def add_pingback(
    *,
    post_id: int,
    source_url: str,
    source_title: str,
    excerpt_html: str,
    status: str,
    ip_address: str | None = None,
    mention: dict | None = None,
) -> tuple[Comment, bool]:
    """Record a pingback on a post once per (post, source); returns (entry, created).

    A second ping from the same source changes nothing: the pingback spec's
    "already registered" answer is for the caller to give.
    """
    existing = db.session.scalar(
        select(Comment).where(Comment.post_id == post_id, Comment.source_url == source_url)
    )
    if existing is not None:
        return existing, False
    entry = Comment(
        post_id=post_id,
        type="pingback",
        status=status,
        source_url=source_url,
        source_title=source_title,
        author_name=source_title,
        author_url=source_url,
        body_html=excerpt_html,
        ip_address=ip_address,
        reasons=[{"rule": "pingback", "verdict": status, "reason": "linkback"}],
    )
    if mention is not None:
        # A Webmention: typed so, with what the source's h-entry says of itself.
        entry.type = "webmention"
        entry.mention_type = mention.get("type") or "mention"
        entry.author_name = (mention.get("author_name") or source_title)[:200]
        entry.author_url = mention.get("author_url") or source_url
        entry.author_photo = mention.get("author_photo")
        if mention.get("summary"):
            entry.body_html = f"<p>{html.escape(mention['summary'])}</p>"
        who = mention.get("author_name") or "an unnamed author"
        entry.reasons = [
            {
                "rule": "webmention",
                "verdict": status,
                "reason": f"Webmention: a {entry.mention_type} by {who}.",
            }
        ]
    db.session.add(entry)
    db.session.flush()
    record_event(events.PINGBACK_RECEIVED, {"comment": comment_data(entry)})
    status_counts.added(status)
    if status == "approved":
        recount(post_id)
    return entry, True


def delete_post_comments(post_id: int) -> None:
    """The post is being deleted in the caller's transaction (which holds its row): its
    comments go first, leaving the status counts exactly, rather than by the foreign
    key's cascade behind the counts' back. Their moderation log entries stay."""
    table = Comment.__table__
    deleted = db.session.execute(
        table.delete().where(table.c.post_id == post_id).returning(table.c.status)
    ).scalars()
    for status in deleted:
        status_counts.removed(status)


def import_comment(
    *,
    post_id: int,
    body: str,
    author_name: str,
    status: str,
    created_at: datetime,
    author_email: str | None = None,
    author_url: str | None = None,
    parent_id: int | None = None,
) -> Comment:
    """A comment from elsewhere (the demo content, an import) whose status its importer
    decided; it skips the intake rules but is rendered and recorded like any other."""
    author = Author(name=author_name, email=author_email, url=author_url)
    parent = db.session.get(Comment, parent_id) if parent_id else None
    comment = Comment(
        post_id=post_id,
        parent_id=parent_id,
        depth=parent.depth + 1 if parent else 1,
        thread_id=(parent.thread_id or parent.id) if parent else None,
        type="comment",
        status=status,
        body=body,
        body_html=render_comment(body),
        author_name=author_name,
        author_email=author_email,
        author_url=author_url,
        author_key=author.key,
        reasons=[{"rule": "imported", "verdict": status, "reason": "Imported with this status."}],
        created_at=created_at,
        updated_at=created_at,
    )
    db.session.add(comment)
    db.session.flush()
    record_event(events.COMMENT_CREATED, {"comment": comment_data(comment), "rules": ["imported"]})
    status_counts.added(status)
    if status == "approved":
        recount(post_id)
    return comment


def forget_post(data: dict) -> None:
    """The reaction to `post.deleted` and `page.deleted` (api/wiring.py): the post's (or
    page's) comments go with it."""
    delete_post_comments((data.get("post") or data["page"])["id"])
