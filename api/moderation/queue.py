"""The moderation queue: listing comments for moderators and deciding on them.

A decision (one comment, or a batch of up to 500, all or nothing) changes the status
if api/comments/transitions.py allows it, and in the same transaction: ends the item's
claim, writes the moderation log, records `comment.<approved|spammed|trashed|restored>`
(which is also what invalidates the public response cache), keeps the status counts
and the post's `comment_count`, and, on request, adds a spammer's email and IP to the
disallowed keys. Approving is also what the intake rule `previously_approved` looks
for (an approved comment with the same author key), so it needs nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from api.auth.policy import Actor
from api.comments import discussion, status_counts
from api.comments.intake import MAX_ID
from api.comments.models import Comment
from api.comments.services import comment_data, recount
from api.content.services import PostRef, find_post, find_posts
from api.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from api.events.outbox import record_event
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.timestamps import utcnow
from api.moderation import audit, transitions
from config import Settings

MAX_BATCH = 500
OLDEST_FIRST = (SortKey(Comment.created_at, False, "datetime"), SortKey(Comment.id, False))
NEWEST_FIRST = (SortKey(Comment.created_at, True, "datetime"), SortKey(Comment.id, True))

Precondition = Callable[[Comment], None] | None


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal transition"


class BatchRefused(Conflict):
    slug, title = "batch-refused", "Batch refused"


@dataclass(frozen=True)
class QueueItem:
    """A comment with what a moderator needs beside it: its post and its parent."""

    comment: Comment
    post: PostRef | None
    parent: Comment | None


@dataclass(frozen=True)
class QueueFilters:
    status: str = "pending"
    post: str | None = None  # slug
    type: str | None = None
    reason: str | None = None  # a rule name in the comment's reasons
    before: datetime | None = None
    after: datetime | None = None
    newest_first: bool = False


@dataclass(frozen=True)
class Decision:
    status: str
    reason: str | None = None
    block_author: bool = False


# --- reading ----------------------------------------------------------------------------


def list_queue(
    filters: QueueFilters, settings: Settings, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page:
    """One page of the queue. Keyset on (created_at, id) over the (status, created_at,
    id) index, or (post_id, status, created_at, id) with a post: page 1000 costs what
    page 1 does."""
    query = select(Comment).where(Comment.status == filters.status)
    if filters.post is not None:
        post = find_post(slug=filters.post, site_url=settings.site_url)
        if post is None:
            raise InvalidInput(errors={"post": ["No post with this slug."]})
        query = query.where(Comment.post_id == post.id)
    if filters.type is not None:
        query = query.where(Comment.type == filters.type)
    if filters.reason is not None:
        query = query.where(_has_rule(filters.reason))
    if filters.before is not None:
        query = query.where(Comment.created_at < filters.before)
    if filters.after is not None:
        query = query.where(Comment.created_at > filters.after)
    order = NEWEST_FIRST if filters.newest_first else OLDEST_FIRST
    if cursor:
        # The keyset condition is an OR (created_at beyond, or equal and id beyond),
        # which SQLite and PostgreSQL apply as a filter while walking the index from
        # its start: page 1000 would read 50,000 entries first. The same bound on
        # created_at alone is a range they seek to.
        created_at = codec.decode(cursor, order)[0]
        newest = filters.newest_first
        query = query.where(
            Comment.created_at <= created_at if newest else Comment.created_at >= created_at
        )
    page = paginate(
        db.session,
        query,
        order,
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=lambda comment: [comment.created_at, comment.id],
    )
    page.items = with_context(page.items, settings)
    return page


def _has_rule(rule: str):
    """The comment's stored reasons name this rule (JSON, read per dialect)."""
    if db.session.get_bind().dialect.name == "postgresql":
        sql = (
            "EXISTS (SELECT 1 FROM json_array_elements(comments.reasons) AS r "
            "WHERE r->>'rule' = :rule)"
        )
    else:
        sql = (
            "EXISTS (SELECT 1 FROM json_each(comments.reasons) AS r "
            "WHERE json_extract(r.value, '$.rule') = :rule)"
        )
    return text(sql).bindparams(rule=rule)


def with_context(comments: list[Comment], settings: Settings) -> list[QueueItem]:
    """Queue items for these comments: one query for the parents, one for the posts."""
    parent_ids = {c.parent_id for c in comments if c.parent_id is not None}
    parents = (
        {p.id: p for p in db.session.scalars(select(Comment).where(Comment.id.in_(parent_ids)))}
        if parent_ids
        else {}
    )
    posts = find_posts({c.post_id for c in comments}, site_url=settings.site_url)
    return [QueueItem(c, posts.get(c.post_id), parents.get(c.parent_id)) for c in comments]


def get_item(comment_id: int, settings: Settings) -> QueueItem:
    comment = db.session.get(Comment, comment_id) if 0 < comment_id <= MAX_ID else None
    if comment is None:
        raise NotFound("No such comment.")
    return with_context([comment], settings)[0]


def counts() -> dict[str, int]:
    """Comments per status, from the counts table (four rows, whatever the queue)."""
    return status_counts.current()


# --- deciding ---------------------------------------------------------------------------


def decide(
    actor: Actor,
    comment_id: int,
    decision: Decision,
    settings: Settings,
    precondition: Precondition,
) -> QueueItem:
    """One comment; `precondition` (If-Match) is checked once its row is locked."""
    _check_block(decision)
    query = select(Comment).where(Comment.id == comment_id).with_for_update()
    comment = db.session.scalar(query) if 0 < comment_id <= MAX_ID else None
    if comment is None:
        raise NotFound("No such comment.")
    if precondition:
        precondition(comment)
    refusal = transitions.refusal(comment.status, decision.status)
    if refusal:
        db.session.rollback()
        raise IllegalTransition(refusal)
    _apply([comment], decision, actor, settings, batch_id=None)
    db.session.commit()
    return get_item(comment_id, settings)


def decide_batch(
    actor: Actor, ids: list[int], decision: Decision, settings: Settings
) -> tuple[str, list[QueueItem]]:
    """All of them or none: any unknown id or illegal transition refuses the batch with
    a reason per id, and nothing changes."""
    _check_block(decision)
    wanted = sorted(set(ids))
    found = {
        c.id: c
        for c in db.session.scalars(
            # Locked in id order, so two overlapping batches cannot deadlock.
            select(Comment).where(Comment.id.in_(wanted)).order_by(Comment.id).with_for_update()
        )
    }
    errors: dict[str, list[str]] = {}
    for comment_id in wanted:
        comment = found.get(comment_id)
        if comment is None:
            errors[str(comment_id)] = ["No such comment."]
        elif refusal := transitions.refusal(comment.status, decision.status):
            errors[str(comment_id)] = [refusal]
    if errors:
        db.session.rollback()
        raise BatchRefused(
            f"{len(errors)} of {len(wanted)} comments cannot become {decision.status}; "
            "nothing was changed.",
            errors=errors,
        )
    batch_id = uuid.uuid4().hex
    comments = [found[i] for i in wanted]
    _apply(comments, decision, actor, settings, batch_id=batch_id)
    db.session.commit()
    reloaded = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(wanted)))}
    return batch_id, with_context([reloaded[i] for i in ids], settings)


def _check_block(decision: Decision) -> None:
    if decision.block_author and decision.status != "spam":
        raise InvalidInput(errors={"block_author": ["Only with status spam."]})


def _apply(
    comments: Iterable[Comment],
    decision: Decision,
    actor: Actor,
    settings: Settings,
    *,
    batch_id: str | None,
) -> None:
    to, now = decision.status, utcnow()
    recount_posts: set[int] = set()
    blocked: list[str] = []
    event_type = transitions.EVENTS[to]
    for comment in comments:
        before = comment.status
        comment.status, comment.updated_at = to, now
        comment.claim_token_id = comment.claim_token_name = comment.claim_expires_at = None
        audit.record_decision(comment, actor, before, to, reason=decision.reason, batch_id=batch_id)
        # The reason is the moderator's note: private, like the author's email and IP.
        record_event(
            event_type,
            {"comment": comment_data(comment), "from": before, "to": to, "batch_id": batch_id},
        )
        status_counts.moved(before, to)
        if "approved" in (before, to):
            recount_posts.add(comment.post_id)
        if decision.block_author:
            blocked += [key for key in (comment.author_email, comment.ip_address) if key]
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise PreconditionFailed("A comment changed meanwhile; fetch it again.") from None
    for post_id in sorted(recount_posts):
        recount(post_id)
    if blocked:
        discussion.add_disallowed_keys(settings, blocked)
