"""The worker's linkback jobs: pinging the sites our posts link, and verifying the
Webmentions other sites sent us.

Both wait on other hosts, so neither holds a transaction while it does: each due row is
claimed in a short unit of work (api/infra/leases.py), the network work runs with no
transaction open, and its outcome is written in another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from api.comments.services import add_pingback
from api.content.services import PostRef, find_post
from api.errors import Conflict
from api.infra.database import db
from api.infra.leases import claim_next
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import unit_of_work
from api.linkbacks import targets
from api.linkbacks.fetching import guarded_client
from api.linkbacks.incoming import links_to
from api.linkbacks.microformats import parse_mention
from api.linkbacks.models import OutgoingLinkback, ReceivedWebmention
from api.linkbacks.retries import LEASE, next_attempt_at
from api.linkbacks.sending import Outcome, send_linkback
from api.linkbacks.verification import LINKED, UNAVAILABLE, SourceCheck, check_source
from api.moderation.automatic import trash_pingback

log = logging.getLogger(__name__)
SEND_BATCH = 25
VERIFY_BATCH = 25


# --- pinging other sites ------------------------------------------------------------------


@dataclass(frozen=True)
class _Ping:
    id: int
    source_url: str
    target_url: str
    attempts: int


def send_due_linkbacks(limit: int = SEND_BATCH) -> int:
    """Ping the targets whose turn has come; returns how many were tried."""
    tried = 0
    with guarded_client() as client:
        while tried < limit and (ping := claim_next(_next_due_ping, _claim_ping)) is not None:
            outcome = send_linkback(client, ping.source_url, ping.target_url)
            with unit_of_work():
                _record_ping(ping, outcome)
            tried += 1
    return tried


def _next_due_ping() -> OutgoingLinkback | None:
    return db.session.scalar(
        select(OutgoingLinkback)
        .where(OutgoingLinkback.status == "pending", OutgoingLinkback.next_attempt_at <= utcnow())
        .order_by(OutgoingLinkback.next_attempt_at, OutgoingLinkback.id)
        .limit(1)
    )


def _claim_ping(row: OutgoingLinkback) -> _Ping | None:
    now = utcnow()
    source = find_post(post_id=row.source_post_id, site_url=targets.site_url())
    if source is None or source.status != "published":
        row.status, row.next_attempt_at, row.updated_at = "removed", None, now
        return None
    ping = _Ping(row.id, source.url, row.target_url, row.attempts + 1)
    claimed = db.session.execute(
        update(OutgoingLinkback)
        .where(
            OutgoingLinkback.id == row.id,
            OutgoingLinkback.status == "pending",
            OutgoingLinkback.attempts == row.attempts,
        )
        .values(attempts=ping.attempts, next_attempt_at=now + LEASE, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return ping if claimed.rowcount == 1 else None


def _record_ping(ping: _Ping, outcome: Outcome) -> None:
    row = db.session.get(OutgoingLinkback, ping.id)
    if row is None:  # the post was deleted meanwhile
        return
    now = utcnow()
    retry_at = next_attempt_at(ping.attempts, now) if outcome.transient else None
    row.status = "pending" if retry_at else outcome.status
    row.next_attempt_at = retry_at
    row.protocol, row.endpoint = outcome.protocol, outcome.endpoint
    row.last_error, row.updated_at = outcome.error, now
    if outcome.status == "sent":
        row.sent_at = now
    log.info(
        "linkback %s -> %s: %s%s",
        ping.source_url,
        ping.target_url,
        row.status,
        f" ({outcome.error})" if outcome.error else "",
    )


# --- verifying received Webmentions -------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    id: int
    post: PostRef
    source_url: str
    target_url: str
    ip_address: str | None
    attempts: int
    slugs: frozenset[str]


def verify_due_webmentions(limit: int = VERIFY_BATCH) -> int:
    """Fetch the sources of queued Webmentions and act on what they say now."""
    done = 0
    with guarded_client() as client:
        while done < limit and (job := claim_next(_next_due_mention, _claim_mention)):
            check = check_source(client, job.source_url, links_to(job.target_url, job.slugs))
            mention = _mention_of(check, job) if check.outcome == LINKED else None
            try:
                with unit_of_work():
                    _settle(job, check, mention)
            except Conflict:
                # The source's entry was registered meanwhile (by a pingback): settle
                # again, now finding it there.
                with unit_of_work():
                    _settle(job, check, mention)
            done += 1
    return done


def _next_due_mention() -> ReceivedWebmention | None:
    return db.session.scalar(
        select(ReceivedWebmention)
        .where(
            ReceivedWebmention.status == "queued", ReceivedWebmention.next_attempt_at <= utcnow()
        )
        .order_by(ReceivedWebmention.next_attempt_at, ReceivedWebmention.id)
        .limit(1)
    )


def _claim_mention(row: ReceivedWebmention) -> _Mention | None:
    now = utcnow()
    post = find_post(post_id=row.target_post_id, site_url=targets.site_url())
    if post is None or post.status != "published" or not post.comments_open:
        row.status, row.result, row.next_attempt_at = "rejected", "target not pingable", None
        row.updated_at = now
        return None
    job = _Mention(
        row.id,
        post,
        row.source_url,
        row.target_url,
        row.ip_address,
        row.attempts + 1,
        frozenset(targets.slugs_of(post)),
    )
    claimed = db.session.execute(
        update(ReceivedWebmention)
        .where(
            ReceivedWebmention.id == row.id,
            ReceivedWebmention.status == "queued",
            ReceivedWebmention.attempts == row.attempts,
        )
        .values(attempts=job.attempts, next_attempt_at=now + LEASE, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return job if claimed.rowcount == 1 else None


def _mention_of(check: SourceCheck, job: _Mention) -> dict:
    """What the source's microformats2 h-entry says (no fetching: the page is in hand)."""
    if not check.page_text:
        return {}
    try:
        found = parse_mention(check.page_text, check.page_url or job.source_url, job.target_url)
    except Exception:  # a parser's surprise must not lose the mention
        log.warning("webmention %s: microformats not readable", job.id, exc_info=True)
        return {}
    return {
        "type": found.type,
        "author_name": found.author_name,
        "author_url": found.author_url,
        "author_photo": found.author_photo,
        "summary": found.summary,
    }


def _settle(job: _Mention, check: SourceCheck, mention: dict | None = None) -> None:
    row = db.session.get(ReceivedWebmention, job.id)
    if row is None or row.attempts != job.attempts:
        return  # deleted, or received again meanwhile: that one counts
    now = utcnow()
    row.updated_at = now
    if check.outcome == UNAVAILABLE and (retry_at := next_attempt_at(job.attempts, now)):
        row.next_attempt_at, row.result = retry_at, check.detail[:500]
        return
    row.next_attempt_at = None
    if check.outcome == LINKED:
        row.status, row.result = "accepted", None
        add_pingback(
            post_id=job.post.id,
            source_url=job.source_url,
            source_title=check.title,
            excerpt_html=check.excerpt_html,
            status="pending",
            ip_address=job.ip_address,
            mention=mention if mention is not None else {},
        )
        return
    # The source is gone or no longer links us (Webmention's update/delete): any entry
    # it made earlier goes to the trash.
    row.status, row.result = "rejected", check.detail[:500]
    trash_pingback(post_id=job.post.id, source_url=job.source_url)
