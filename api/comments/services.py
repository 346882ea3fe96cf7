"""Comment use cases other areas call: pingback entries (for linkbacks), counts, imports,
and the comments' side of a post's deletion. All of them join the caller's unit of work.

Every comment added or removed here also tells api/comments/status_counts.py.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select, update

from api.cache import keys as cache_keys
from api.comments import status_counts
from api.comments.models import Comment
from api.comments.rules import Author
from api.content.services import set_comment_count
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra.database import db
from api.infra.rows import as_data, continue_ids, from_data
from api.rendering import render_comment, sanitize_html


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


def thread_keys(post_id: int, *statuses: str) -> tuple[str, ...]:
    """The cache keys a change of a comment alters, given its statuses before and after:
    its post's thread and the post (its `comment_count`) when it is or was approved;
    nothing anonymous readers can see otherwise (pending, spam, trash)."""
    if "approved" not in statuses:
        return ()
    return cache_keys.comments(post_id), cache_keys.post(post_id)


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
    record_event(
        events.PINGBACK_RECEIVED,
        {"comment": comment_data(entry)},
        thread_keys(post_id, status),
    )
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
    type: str = "comment",
    body_html: str | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    source_url: str | None = None,
    source_title: str | None = None,
    count: bool = True,
) -> Comment:
    """A comment (or a pingback entry) from elsewhere (the demo content, an import)
    whose status its importer decided; it skips the intake rules but is rendered and
    recorded like any other. `body_html` is markup from another platform: it goes
    through the same sanitiser as pingback excerpts instead of the Markdown renderer.
    `count=False`: the caller calls `recount` for the post before its transaction ends
    (an import counts each post once per batch instead of once per comment)."""
    author = Author(name=author_name, email=author_email, url=author_url)
    parent = db.session.get(Comment, parent_id) if parent_id else None
    comment = Comment(
        post_id=post_id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 1,
        thread_id=(parent.thread_id or parent.id) if parent else None,
        type=type,
        status=status,
        body=body,
        body_html=sanitize_html(body_html) if body_html is not None else render_comment(body),
        author_name=author_name[:200],
        author_email=author_email or None,
        author_url=author_url or None,
        author_key=author.key if type == "comment" else None,
        ip_address=ip_address or None,
        user_agent=user_agent or None,
        source_url=source_url,
        source_title=source_title,
        reasons=[{"rule": "imported", "verdict": status, "reason": "Imported with this status."}],
        created_at=created_at,
        updated_at=created_at,
    )
    db.session.add(comment)
    db.session.flush()
    record_event(
        events.COMMENT_CREATED,
        {"comment": comment_data(comment), "rules": ["imported"]},
        thread_keys(post_id, status),
    )
    status_counts.added(status)
    if count and status == "approved":
        recount(post_id)
    return comment


def pingback_exists(post_id: int, source_url: str) -> bool:
    """Whether the post has an entry from this source already (one per source)."""
    found = select(Comment.id).where(Comment.post_id == post_id, Comment.source_url == source_url)
    return db.session.scalar(found) is not None


def comment_exists(comment_id: int) -> bool:
    return db.session.get(Comment, comment_id) is not None


def forget_post(data: dict) -> None:
    """The reaction to `post.deleted` and `page.deleted` (api/wiring.py): the post's (or
    page's) comments go with it."""
    delete_post_comments((data.get("post") or data["page"])["id"])


# --- export and restore (`marginalia export`, `marginalia import marginalia`) ------------

_CLAIMS = ("claim_token_id", "claim_token_name", "claim_expires_at")


def export_comments() -> Iterator[dict]:
    """Every comment and pingback as stored, parents before their replies (claims,
    which are leases of a moment, left out)."""
    last = (0, 0)
    while rows := list(
        db.session.scalars(
            select(Comment)
            .where(
                (Comment.depth > last[0]) | ((Comment.depth == last[0]) & (Comment.id > last[1]))
            )
            .order_by(Comment.depth, Comment.id)
            .limit(500)
        )
    ):
        for row in rows:
            yield as_data(row, exclude=_CLAIMS)
        last = (rows[-1].depth, rows[-1].id)
        db.session.expunge_all()


def restore_comment(data: dict) -> None:
    """One exported comment back as it was, counted in the status counts."""
    comment = from_data(Comment, data, exclude=_CLAIMS)
    db.session.add(comment)
    db.session.flush()
    status_counts.added(comment.status)


def restored_comments() -> None:
    continue_ids(Comment)


# --- privacy (api/privacy) -------------------------------------------------------------

ANONYMOUS = "Anonymous"
ERASED_HTML = "<p>[deleted]</p>"


def comments_of(
    *, email: str | None = None, issuer: str | None = None, subject: str | None = None
) -> list[Comment]:
    """Every comment stored of one commenter: by email (any case) or OIDC identity."""
    if email:
        found = select(Comment).where(func.lower(Comment.author_email) == email.strip().lower())
    else:
        found = select(Comment).where(
            Comment.identity_issuer == issuer, Comment.identity_subject == subject
        )
    return list(db.session.scalars(found.order_by(Comment.id)))


def private_view(comment: Comment) -> dict:
    """Everything stored about a comment, for the commenter's access request."""
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "type": comment.type,
        "status": comment.status,
        "body": comment.body,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_url": comment.author_url,
        "identity": (
            {"issuer": comment.identity_issuer, "subject": comment.identity_subject}
            if comment.identity_issuer
            else None
        ),
        "ip_address": comment.ip_address,
        "user_agent": comment.user_agent,
        "reasons": comment.reasons,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
    }


def erase_comments(comments: list[Comment], *, delete: bool) -> dict[str, list[int]]:
    """Erase a commenter from their comments: anonymised (name "Anonymous", no email,
    URL, identity, IP, user agent or edit token; the rule verdicts without their words)
    or, with `delete`, deleted; a deleted comment that has replies keeps its place in
    the thread as "[deleted]", so the replies stay where they were."""
    erased: dict[str, list[int]] = {"deleted": [], "anonymised": []}
    posts: set[int] = set()
    for comment in comments:
        has_replies = db.session.scalar(
            select(Comment.id).where(Comment.parent_id == comment.id).limit(1)
        )
        if delete and has_replies is None:
            erased["deleted"].append(comment.id)
            status_counts.removed(comment.status)
            posts.add(comment.post_id)
            db.session.delete(comment)
            continue
        comment.author_name = ANONYMOUS
        comment.author_email = comment.author_url = None
        comment.identity_issuer = comment.identity_subject = None
        comment.author_key = comment.ip_address = comment.user_agent = None
        comment.edit_token_hash = None
        comment.reasons = [
            {"rule": r.get("rule"), "verdict": r.get("verdict"), "reason": "(erased)"}
            for r in comment.reasons or []
        ]
        if delete:
            comment.body, comment.body_html = "", ERASED_HTML
        erased["anonymised"].append(comment.id)
    db.session.flush()
    for post_id in posts:
        recount(post_id)
    return erased


def clear_old_ips(before: datetime) -> int:
    """Stored IPs and user agents of comments older than `before` are cleared."""
    result = db.session.execute(
        update(Comment)
        .where(Comment.created_at < before, Comment.ip_address.is_not(None))
        .values(ip_address=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
