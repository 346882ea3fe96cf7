"""The moderation queue: listing comments for moderators and deciding on them.

A decision (one comment, or a batch of up to 500, all or nothing) changes the status
if api/moderation/transitions.py allows it, and in the caller's unit of work: ends the
item's claim, writes the moderation log, records `comment.<approved|spammed|trashed|
restored>`, keeps the status counts and the post's `comment_count` (the comments area
does those, api/comments/status.py), and, on request, adds a spammer's email and IP to
the disallowed keys. Approving is also what the intake rule `previously_approved` looks
for (an approved comment with the same author key), so it needs nothing more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from api.auth.policy import Actor
from api.comments import discussion
from api.comments import status as comments
from api.content.services import PostRef, find_post, find_posts
from api.errors import Conflict, InvalidInput, NotFound
from api.infra.pagination import CursorCodec, Page
from api.moderation import audit, transitions
from config import Settings

MAX_BATCH = 500


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal transition"


class BatchRefused(Conflict):
    slug, title = "batch-refused", "Batch refused"


@dataclass(frozen=True)
class QueueItem:
    """A comment with what a moderator needs beside it: its post and its parent."""

    comment: object  # the comments area's Comment
    post: PostRef | None
    parent: object | None


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
    filters: QueueFilters,
    settings: Settings,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
) -> Page:
    """One page of the queue, oldest first unless asked otherwise."""
    post_id = None
    if filters.post is not None:
        post = find_post(slug=filters.post, site_url=settings.site_url)
        if post is None:
            raise InvalidInput(errors={"post": ["No post with this slug."]})
        post_id = post.id
    page = comments.queue_page(
        comments.QueueFilters(
            status=filters.status,
            post_id=post_id,
            type=filters.type,
            reason=filters.reason,
            before=filters.before,
            after=filters.after,
            newest_first=filters.newest_first,
        ),
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
    )
    page.items = with_context(page.items, settings)
    return page


def with_context(found: list, settings: Settings) -> list[QueueItem]:
    """Queue items for these comments: one query for the parents, one for the posts."""
    parents = comments.by_ids(c.parent_id for c in found if c.parent_id is not None)
    posts = find_posts({c.post_id for c in found}, site_url=settings.site_url)
    return [QueueItem(c, posts.get(c.post_id), parents.get(c.parent_id)) for c in found]


def get_item(comment_id: int, settings: Settings) -> QueueItem:
    comment = comments.get(comment_id)
    if comment is None:
        raise NotFound("No such comment.")
    return with_context([comment], settings)[0]


def counts() -> dict[str, int]:
    return comments.counts()


# --- deciding ---------------------------------------------------------------------------


def decide(
    actor: Actor, comment_id: int, decision: Decision, settings: Settings, precondition
) -> QueueItem:
    """One comment; `precondition` (If-Match) is checked once its row is locked."""
    _check_block(decision)
    comment = comments.lock(comment_id)
    if comment is None:
        raise NotFound("No such comment.")
    if precondition:
        precondition(comment)
    refusal = transitions.refusal(comment.status, decision.status)
    if refusal:
        raise IllegalTransition(refusal)
    _apply([comment], decision, actor, settings, batch_id=None)
    return QueueItem(comment, None, None)


def decide_batch(
    actor: Actor, ids: list[int], decision: Decision, settings: Settings
) -> tuple[str, list[int]]:
    """All of them or none: any unknown id or illegal transition refuses the batch with
    a reason per id, and nothing changes. Returns the batch id and the ids decided."""
    _check_block(decision)
    wanted = sorted(set(ids))
    found = comments.lock_many(wanted)
    errors: dict[str, list[str]] = {}
    for comment_id in wanted:
        comment = found.get(comment_id)
        if comment is None:
            errors[str(comment_id)] = ["No such comment."]
        elif refusal := transitions.refusal(comment.status, decision.status):
            errors[str(comment_id)] = [refusal]
    if errors:
        raise BatchRefused(
            f"{len(errors)} of {len(wanted)} comments cannot become {decision.status}; "
            "nothing was changed.",
            errors=errors,
        )
    batch_id = uuid.uuid4().hex
    _apply([found[i] for i in wanted], decision, actor, settings, batch_id=batch_id)
    return batch_id, ids


def items(ids: list[int], settings: Settings) -> list[QueueItem]:
    """The queue items of these comments, in this order (after a decision commits)."""
    found = comments.by_ids(ids)
    return with_context([found[i] for i in ids if i in found], settings)


def _check_block(decision: Decision) -> None:
    if decision.block_author and decision.status != "spam":
        raise InvalidInput(errors={"block_author": ["Only with status spam."]})


def _apply(
    found: list, decision: Decision, actor: Actor, settings: Settings, *, batch_id: str | None
) -> None:
    to = decision.status
    # The reason is the moderator's note: private, like the author's email and IP, so
    # it goes to the log and not into the event.
    before = comments.move(found, to, transitions.EVENTS[to], {"batch_id": batch_id})
    for comment in found:
        audit.record_decision(
            comment, actor, before[comment.id], to, reason=decision.reason, batch_id=batch_id
        )
    if decision.block_author:
        keys = [k for c in found for k in (c.author_email, c.ip_address) if k]
        if keys:
            discussion.add_disallowed_keys(settings, keys)
