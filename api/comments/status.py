"""Comments by status: what the moderation area does to comments, as service functions.

Moderation decides (api/moderation); the comments area owns the rows. Everything that
reads or changes a comment's status for moderators lives here: the queue's pages,
locking, moving between statuses (with its event, the status counts and the post's
approved count), claims, and purging. All of it joins the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, text, update

from api.comments import status_counts
from api.comments.models import COMMENT_STATUSES, COMMENT_TYPES, MAX_ID, Comment
from api.comments.services import comment_data, recount, thread_keys
from api.events.catalogue import EventType
from api.events.outbox import record_event
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.timestamps import utcnow

__all__ = ["COMMENT_STATUSES", "COMMENT_TYPES", "MAX_ID"]

OLDEST_FIRST = (SortKey(Comment.created_at, False, "datetime"), SortKey(Comment.id, False))
NEWEST_FIRST = (SortKey(Comment.created_at, True, "datetime"), SortKey(Comment.id, True))


@dataclass(frozen=True)
class QueueFilters:
    status: str = "pending"
    post_id: int | None = None
    type: str | None = None
    reason: str | None = None  # a rule name in the comment's reasons
    before: datetime | None = None
    after: datetime | None = None
    newest_first: bool = False


# --- reading ----------------------------------------------------------------------------


def queue_page(
    filters: QueueFilters,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
) -> Page:
    """One page of comments of a status. Keyset on (created_at, id) over the (status,
    created_at, id) index, or (post_id, status, created_at, id) with a post: page 1000
    costs what page 1 does."""
    query = select(Comment).where(Comment.status == filters.status)
    if filters.post_id is not None:
        query = query.where(Comment.post_id == filters.post_id)
    if filters.type is not None:
        query = query.where(Comment.type == filters.type)
    if filters.reason is not None:
        query = query.where(_has_rule(filters.reason))
    if filters.before is not None:
        query = query.where(Comment.created_at < filters.before)
    if filters.after is not None:
        query = query.where(Comment.created_at > filters.after)
    order = NEWEST_FIRST if filters.newest_first else OLDEST_FIRST
    return paginate(
        db.session,
        query,
        order,
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda comment: [comment.created_at, comment.id],
    )


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


def get(comment_id: int) -> Comment | None:
    return db.session.get(Comment, comment_id) if 0 < comment_id <= MAX_ID else None


def by_ids(ids) -> dict[int, Comment]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    found = db.session.scalars(
        select(Comment).where(Comment.id.in_(wanted)).execution_options(populate_existing=True)
    )
    return {comment.id: comment for comment in found}


def counts() -> dict[str, int]:
    """Comments per status, from the counts table (four rows, whatever the queue)."""
    return status_counts.current()


# --- changing ---------------------------------------------------------------------------


def lock(comment_id: int) -> Comment | None:
    if not 0 < comment_id <= MAX_ID:
        return None
    return db.session.scalar(select(Comment).where(Comment.id == comment_id).with_for_update())


def lock_many(ids) -> dict[int, Comment]:
    """Locked in id order, so two overlapping batches cannot deadlock."""
    wanted = sorted({i for i in ids if 0 < i <= MAX_ID})
    found = db.session.scalars(
        select(Comment).where(Comment.id.in_(wanted)).order_by(Comment.id).with_for_update()
    )
    return {comment.id: comment for comment in found}


def find_pingback(post_id: int, source_url: str, *, locked: bool = False) -> Comment | None:
    query = select(Comment).where(
        Comment.post_id == post_id,
        Comment.source_url == source_url,
        Comment.type.in_(("pingback", "webmention")),
    )
    return db.session.scalar(query.with_for_update() if locked else query)


def move(comments, to: str, event_type: EventType, details: dict) -> dict[int, str]:
    """Give these (locked) comments status `to`, ending their claims, recording
    `event_type` for each with `details` beside the comment, keeping the status counts
    and the posts' approved counts. Returns each comment's status before."""
    now = utcnow()
    before: dict[int, str] = {}
    recount_posts: set[int] = set()
    for comment in comments:
        before[comment.id] = comment.status
        comment.status, comment.updated_at = to, now
        comment.claim_token_id = comment.claim_token_name = comment.claim_expires_at = None
        record_event(
            event_type,
            {
                "comment": comment_data(comment),
                "from": before[comment.id],
                "to": to,
                **details,
            },
            thread_keys(comment.post_id, before[comment.id], to),
        )
        status_counts.moved(before[comment.id], to)
        if "approved" in (before[comment.id], to):
            recount_posts.add(comment.post_id)
    db.session.flush()
    for post_id in sorted(recount_posts):
        recount(post_id)
    return before


# --- claims -----------------------------------------------------------------------------


def _free_for(token_id: int, now: datetime):
    return or_(
        Comment.claim_expires_at.is_(None),
        Comment.claim_expires_at <= now,
        Comment.claim_token_id == token_id,
    )


def claim_pending(
    *, token_id: int, name: str, limit: int, expires_at: datetime, rounds: int = 3
) -> list[Comment]:
    """The oldest pending comments not under someone else's live claim, claimed for
    `token_id` until `expires_at` (its own live claims among them are renewed).

    On PostgreSQL the candidates are first locked with `SELECT ... FOR UPDATE SKIP
    LOCKED`, so two moderators claiming at the same moment lock disjoint rows and each
    gets a full set. SQLite runs one writer at a time: a claimer whose candidates were
    taken meanwhile gets fewer rows back from its UPDATE and reads again (now holding
    the write lock). Claims never bump the comment's version or ETag."""
    now = utcnow()
    table = Comment.__table__
    claimed: list[int] = []
    for _ in range(rounds):
        candidates = list(
            db.session.scalars(
                select(Comment.id)
                .where(
                    Comment.status == "pending",
                    _free_for(token_id, now),
                    Comment.id.not_in(claimed),
                )
                .order_by(Comment.created_at, Comment.id)
                .limit(limit - len(claimed))
                .with_for_update(skip_locked=True)
            )
        )
        if not candidates:
            break
        claimed += db.session.execute(
            update(table)
            .where(
                table.c.id.in_(candidates),
                # Checked again on the row itself: the claim must still be free.
                Comment.status == "pending",
                _free_for(token_id, now),
            )
            .values(claim_token_id=token_id, claim_token_name=name, claim_expires_at=expires_at)
            .returning(table.c.id)
        ).scalars()
        if len(claimed) >= limit:
            break
    rows = db.session.scalars(
        select(Comment)
        .where(Comment.id.in_(claimed))
        .order_by(Comment.created_at, Comment.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def release_claims(token_id: int) -> int:
    """End every claim `token_id` holds; returns how many."""
    table = Comment.__table__
    return db.session.execute(
        update(table)
        .where(table.c.claim_token_id == token_id)
        .values(claim_token_id=None, claim_token_name=None, claim_expires_at=None)
    ).rowcount


# --- purging ----------------------------------------------------------------------------


def count_older(status: str, cutoff: datetime) -> int:
    """How many comments have had `status` since before `cutoff`."""
    return db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.status == status, Comment.updated_at < cutoff)
    )


def delete_older(status: str, cutoff: datetime, size: int) -> list[tuple[int, int]]:
    """Delete up to `size` comments that have had `status` since before `cutoff`;
    returns their (id, post id). Replies to them stay, with no parent."""
    due_ids = (
        select(Comment.id)
        .where(Comment.status == status, Comment.updated_at < cutoff)
        .order_by(Comment.updated_at)
        .limit(size)
        .with_for_update(skip_locked=True)  # a moderator deciding one keeps it
    )
    table = Comment.__table__
    gone = db.session.execute(
        table.delete()
        .where(
            table.c.id.in_(due_ids),
            # Checked again on the row: restored meanwhile, it stays.
            table.c.status == status,
            table.c.updated_at < cutoff,
        )
        .returning(table.c.id, table.c.post_id)
    ).all()
    if gone:
        status_counts.removed(status, len(gone))
    return [(row.id, row.post_id) for row in gone]
