"""Our posts' own links: pingback entries between our posts, pings to other sites.

`handle_post_event` is the dispatch consumer's work (api/linkbacks/consumer.py): it
only writes rows. `send_due_linkbacks` is the worker's: it goes over the network, with
no transaction open while it does.

Pingback entries are the comments area's: they are made and trashed only through
api.comments.services, whose functions commit. So a use case here may commit more
than once; every step is idempotent, and a replayed event converges to the same rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from api.auth.policy import Actor
from api.comments.services import add_pingback, restore_pingback, trash_pingback
from api.content.services import PostRef, find_post, get_post, post_body_html
from api.events.outbox import after_commit
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.timestamps import utcnow
from api.linkbacks import targets
from api.linkbacks.extraction import Link, extract_links
from api.linkbacks.fetching import guarded_client
from api.linkbacks.models import InternalLink, OutgoingLinkback
from api.linkbacks.retries import LEASE, next_attempt_at
from api.linkbacks.sending import Outcome, send_linkback
from api.linkbacks.urls import MAX_URL_LENGTH
from api.linkbacks.verification import clip_title, excerpt_html

log = logging.getLogger(__name__)
POST_EVENTS = ["post.published", "post.updated", "post.unpublished", "post.deleted"]
SEND_BATCH = 25


# --- reacting to posts (the dispatch consumer) --------------------------------------------


def handle_post_event(event_type: str, data: dict) -> None:
    """Bring one post's linkbacks in line with the post as it is now."""
    try:
        _handle(event_type, data)
    except IntegrityError:
        # A concurrent worker made the same row or entry first: look again.
        db.session.rollback()
        _handle(event_type, data)


def _handle(event_type: str, data: dict) -> None:
    post = data.get("post") or {}
    post_id = post.get("id")
    if post_id is None:
        return
    previous_slug = data.get("previous_slug")
    if previous_slug and previous_slug != post.get("slug"):
        targets.remember_previous_slug(post_id, previous_slug)
    if event_type == "post.deleted":
        _forget_post(post_id)
    elif event_type == "post.updated" and (
        post.get("status") != "published" or not data.get("body_changed")
    ):
        db.session.commit()  # a draft's edit, or no new links: only the slug history
    else:
        sync_post_links(post_id)


def sync_post_links(post_id: int) -> None:
    """Make the pingback entries and queued pings match what the post links now."""
    source = find_post(post_id=post_id, site_url=targets.site_url())
    published = source is not None and source.status == "published"
    links = extract_links(post_body_html(post_id) or "", source.url) if published else []
    site = targets.our_site()
    internal: dict[int, tuple[PostRef, Link]] = {}
    external: dict[str, Link] = {}
    for link in links:
        if site.is_ours(link.url):
            target = targets.post_at(link.url)
            if target is not None and target.id != post_id:
                internal.setdefault(target.id, (target, link))
        elif len(link.url) <= MAX_URL_LENGTH:
            external[link.url] = link
    _sync_outgoing(post_id, external)
    if published:
        # An unpublished post keeps the entries it made: it may come back, and an
        # entry trashed when its link went is restored if the link comes back.
        _sync_internal(source, internal)
    db.session.commit()


def _sync_internal(source: PostRef, linked: dict[int, tuple[PostRef, Link]]) -> None:
    rows = {
        row.target_post_id: row
        for row in db.session.scalars(
            select(InternalLink).where(InternalLink.source_post_id == source.id)
        )
    }
    approved = current_app.config["MARGINALIA"].internal_pingbacks_approved
    for target_id, (target, link) in linked.items():
        row = rows.get(target_id)
        if row is not None and row.linked:
            continue  # saved again: the entry exists already
        if target.status != "published" or not target.comments_open:
            continue
        if row is None:
            row = InternalLink(
                source_post_id=source.id, target_post_id=target_id, source_url=source.url
            )
            db.session.add(row)
        row.linked, row.updated_at = True, utcnow()
        _, created = add_pingback(  # commits, with the row above
            post_id=target_id,
            source_url=row.source_url,
            source_title=clip_title(source.title),
            excerpt_html=excerpt_html(link.excerpt),
            status="approved" if approved else "pending",
        )
        if not created:  # linked again after the link was removed: back from the trash
            restore_pingback(post_id=target_id, source_url=row.source_url)  # commits
    for target_id, row in rows.items():
        if row.linked and target_id not in linked:
            row.linked, row.updated_at = False, utcnow()
            trash_pingback(post_id=target_id, source_url=row.source_url)


def _sync_outgoing(post_id: int, linked: dict[str, Link]) -> None:
    rows = {
        row.target_url: row
        for row in db.session.scalars(
            select(OutgoingLinkback).where(OutgoingLinkback.source_post_id == post_id)
        )
    }
    now, queued = utcnow(), False
    for url in linked:
        row = rows.get(url)
        if row is None:
            db.session.add(
                OutgoingLinkback(
                    source_post_id=post_id, target_url=url, status="pending", next_attempt_at=now
                )
            )
            queued = True
        elif row.status == "removed":  # linked again before it was ever sent
            row.status, row.attempts, row.last_error = "pending", 0, None
            row.next_attempt_at = row.updated_at = now
            queued = True
    for url, row in rows.items():
        if url not in linked and row.status == "pending":
            row.status, row.next_attempt_at, row.updated_at = "removed", None, now
    if queued:
        after_commit(_queue_sending)


def _forget_post(post_id: int) -> None:
    """A deleted post: the entries it made go to the trash, its rows go."""
    made = list(
        db.session.scalars(
            select(InternalLink).where(
                InternalLink.source_post_id == post_id, InternalLink.linked.is_(True)
            )
        )
    )
    for row in made:
        trash_pingback(post_id=row.target_post_id, source_url=row.source_url)
    db.session.execute(
        delete(InternalLink).where(
            or_(InternalLink.source_post_id == post_id, InternalLink.target_post_id == post_id)
        )
    )
    db.session.execute(delete(OutgoingLinkback).where(OutgoingLinkback.source_post_id == post_id))
    db.session.commit()


def _queue_sending() -> None:
    from api.infra.queue import enqueue_after_commit, huey
    from api.linkbacks.tasks import send_pending_linkbacks

    if not huey.immediate:  # tests call send_due_linkbacks themselves
        enqueue_after_commit(send_pending_linkbacks)


# --- reading ------------------------------------------------------------------------------


def list_outgoing(
    actor: Actor | None, slug: str, *, limit: int, cursor: str | None, codec: CursorCodec
) -> Page:
    """The other sites a post links, and what pinging each gave, in link order."""
    post_id = get_post(actor, slug).id
    return paginate(
        db.session,
        select(OutgoingLinkback).where(OutgoingLinkback.source_post_id == post_id),
        [SortKey(OutgoingLinkback.id)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=lambda row: [row.id],
    )


# --- sending (the worker) -----------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    source_url: str
    target_url: str
    attempts: int


def send_due_linkbacks(limit: int = SEND_BATCH) -> int:
    """Ping the targets whose turn has come; returns how many were tried."""
    tried = 0
    with guarded_client() as client:
        while tried < limit and (job := _claim_next()) is not None:
            # No transaction is open here: _claim_next committed.
            outcome = send_linkback(client, job.source_url, job.target_url)
            _record(job, outcome)
            tried += 1
    return tried


def _claim_next() -> _Claimed | None:
    """Take the next due ping for this worker (others skip it for LEASE), or None."""
    while True:
        now = utcnow()
        row = db.session.scalar(
            select(OutgoingLinkback)
            .where(OutgoingLinkback.status == "pending", OutgoingLinkback.next_attempt_at <= now)
            .order_by(OutgoingLinkback.next_attempt_at, OutgoingLinkback.id)
            .limit(1)
        )
        if row is None:
            db.session.commit()
            return None
        source = find_post(post_id=row.source_post_id, site_url=targets.site_url())
        if source is None or source.status != "published":
            row.status, row.next_attempt_at, row.updated_at = "removed", None, now
            db.session.commit()
            continue
        job = _Claimed(row.id, source.url, row.target_url, row.attempts + 1)
        claimed = db.session.execute(
            update(OutgoingLinkback)
            .where(
                OutgoingLinkback.id == row.id,
                OutgoingLinkback.status == "pending",
                OutgoingLinkback.attempts == row.attempts,
            )
            .values(attempts=job.attempts, next_attempt_at=now + LEASE, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount == 1:
            return job


def _record(job: _Claimed, outcome: Outcome) -> None:
    row = db.session.get(OutgoingLinkback, job.id)
    if row is None:  # the post was deleted meanwhile
        db.session.commit()
        return
    now = utcnow()
    retry_at = next_attempt_at(job.attempts, now) if outcome.transient else None
    row.status = "pending" if retry_at else outcome.status
    row.next_attempt_at = retry_at
    row.protocol, row.endpoint = outcome.protocol, outcome.endpoint
    row.last_error, row.updated_at = outcome.error, now
    if outcome.status == "sent":
        row.sent_at = now
    db.session.commit()
    log.info(
        "linkback %s -> %s: %s%s",
        job.source_url,
        job.target_url,
        row.status,
        f" ({outcome.error})" if outcome.error else "",
    )
