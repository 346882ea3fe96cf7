"""Other sites telling us they link one of our posts: Pingback and Webmention.

The target is checked first and cheaply (a published post of this site, open to
pingbacks), so nobody can make us fetch anything without naming a real post. The
source is then fetched through the guarded client, with no database transaction
open, and must link the target. Entries land in the moderation queue as `pending`.

Pingback answers synchronously, since the spec wants the fault code in the reply;
Webmention is queued (202) and verified by the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api.comments.services import add_pingback, trash_pingback
from api.content.services import PostRef, find_post
from api.errors import DomainError
from api.events.outbox import after_commit
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.linkbacks import targets
from api.linkbacks import xmlrpc as codes
from api.linkbacks.fetching import REQUEST_TIME_BUDGET, guarded_client
from api.linkbacks.models import ReceivedWebmention
from api.linkbacks.retries import LEASE, next_attempt_at
from api.linkbacks.urls import is_http_url, same_resource
from api.linkbacks.verification import LINKED, NO_LINK, UNAVAILABLE, SourceCheck, check_source

VERIFY_BATCH = 25


class PingbackFault(Exception):
    """A pingback refused with one of the spec's fault codes."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class InvalidWebmention(DomainError):
    status, slug, title = 400, "invalid-webmention", "Invalid Webmention"


# --- checking the target ------------------------------------------------------------------


def _pingable_post(target_url: str) -> PostRef:
    """The published post `target_url` names, open to pingbacks; else a fault."""
    if not is_http_url(target_url) or targets.our_site().slug_of(target_url) is None:
        raise PingbackFault(codes.TARGET_NOT_PINGABLE, "The target URL is not a post of this site.")
    post = targets.post_at(target_url)
    if post is None or post.status != "published":
        raise PingbackFault(codes.TARGET_MISSING, "The target URL does not exist.")
    if not post.comments_open:
        raise PingbackFault(codes.TARGET_NOT_PINGABLE, "The target post takes no pingbacks.")
    return post


def _names_post(target_url: str, slugs: set[str]) -> Callable[[str], bool]:
    """Whether a link of the source points at the post (by the URL pinged, or any
    spelling of the post's URL under any of its `slugs`, old ones included)."""
    site = targets.our_site()

    def links_target(url: str) -> bool:
        return same_resource(url, target_url) or site.slug_of(url) in slugs

    return links_target


def _is_same_page(source_url: str, target_url: str, post: PostRef) -> bool:
    return same_resource(source_url, target_url) or same_resource(source_url, post.url)


def _end_read_transaction() -> None:
    """Nothing was written; release the connection before going over the network."""
    db.session.rollback()


# --- Pingback (XML-RPC, synchronous) ------------------------------------------------------


def receive_pingback(source_url: str, target_url: str, ip_address: str | None) -> str:
    """Verify and register `pingback.ping(source, target)`; raises PingbackFault."""
    if not is_http_url(source_url):
        raise PingbackFault(codes.SOURCE_MISSING, "The source URL does not exist.")
    post = _pingable_post(target_url)
    if _is_same_page(source_url, target_url, post):
        raise PingbackFault(codes.GENERIC, "The source and the target are the same page.")
    links_target = _names_post(target_url, targets.slugs_of(post))
    _end_read_transaction()
    with guarded_client(total_timeout=REQUEST_TIME_BUDGET) as client:
        check = check_source(client, source_url, links_target)
    if check.outcome == NO_LINK:
        raise PingbackFault(codes.NO_LINK, "The source URL does not contain a link to the target.")
    if check.outcome != LINKED:
        raise PingbackFault(codes.SOURCE_MISSING, "The source URL does not exist.")
    try:
        _, created = _register(post.id, source_url, check, ip_address)
    except IntegrityError:  # the same ping, registered concurrently
        db.session.rollback()
        created = False
    if not created:
        raise PingbackFault(codes.ALREADY_REGISTERED, "The pingback has already been registered.")
    return f"Pingback from {source_url} to {target_url} registered. Thanks for linking!"


def _register(post_id: int, source_url: str, check: SourceCheck, ip_address: str | None):
    return add_pingback(
        post_id=post_id,
        source_url=source_url,
        source_title=check.title,
        excerpt_html=check.excerpt_html,
        status="pending",
        ip_address=ip_address,
    )


# --- Webmention (queued, verified by the worker) ------------------------------------------


def receive_webmention(source_url: str, target_url: str, ip_address: str | None) -> None:
    """Queue a Webmention for verification; raises InvalidWebmention (400)."""
    if not is_http_url(source_url):
        raise InvalidWebmention(errors={"source": ["Must be an http(s) URL."]})
    if not is_http_url(target_url):
        raise InvalidWebmention(errors={"target": ["Must be an http(s) URL."]})
    try:
        post = _pingable_post(target_url)
    except PingbackFault as fault:
        raise InvalidWebmention(errors={"target": [fault.message]}) from None
    if _is_same_page(source_url, target_url, post):
        raise InvalidWebmention(errors={"source": ["The source and the target are the same."]})
    now = utcnow()
    row = db.session.scalar(
        select(ReceivedWebmention).where(
            ReceivedWebmention.target_post_id == post.id,
            ReceivedWebmention.source_url == source_url,
        )
    )
    if row is None:
        row = ReceivedWebmention(target_post_id=post.id, source_url=source_url)
        db.session.add(row)
    # Sent again: the source changed (a new or a removed link); verify it again.
    row.target_url, row.status, row.result = target_url, "queued", None
    row.ip_address, row.attempts = ip_address, 0
    row.next_attempt_at = row.updated_at = now
    after_commit(_queue_verification)
    try:
        db.session.commit()
    except IntegrityError:  # the same Webmention, received concurrently: queued already
        db.session.rollback()


def _queue_verification() -> None:
    from api.infra.queue import enqueue_after_commit, huey
    from api.linkbacks.tasks import verify_received_webmentions

    if not huey.immediate:  # tests call verify_due_webmentions themselves
        enqueue_after_commit(verify_received_webmentions)


@dataclass(frozen=True)
class _Claimed:
    id: int
    post: PostRef
    source_url: str
    target_url: str
    ip_address: str | None
    attempts: int
    slugs: set[str]


def verify_due_webmentions(limit: int = VERIFY_BATCH) -> int:
    """Fetch the sources of queued Webmentions and act on what they say now."""
    done = 0
    with guarded_client() as client:
        while done < limit and (job := _claim_next()) is not None:
            # No transaction is open here: _claim_next committed.
            check = check_source(client, job.source_url, _names_post(job.target_url, job.slugs))
            _settle(job, check)
            done += 1
    return done


def _claim_next() -> _Claimed | None:
    while True:
        now = utcnow()
        row = db.session.scalar(
            select(ReceivedWebmention)
            .where(ReceivedWebmention.status == "queued", ReceivedWebmention.next_attempt_at <= now)
            .order_by(ReceivedWebmention.next_attempt_at, ReceivedWebmention.id)
            .limit(1)
        )
        if row is None:
            db.session.commit()
            return None
        post = find_post(post_id=row.target_post_id, site_url=targets.site_url())
        if post is None or post.status != "published" or not post.comments_open:
            row.status, row.result, row.next_attempt_at = "rejected", "target not pingable", None
            row.updated_at = now
            db.session.commit()
            continue
        job = _Claimed(
            row.id,
            post,
            row.source_url,
            row.target_url,
            row.ip_address,
            row.attempts + 1,
            targets.slugs_of(post),
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
        db.session.commit()
        if claimed.rowcount == 1:
            return job


def _settle(job: _Claimed, check: SourceCheck) -> None:
    row = db.session.get(ReceivedWebmention, job.id)
    if row is None or row.attempts != job.attempts:
        db.session.rollback()  # deleted, or received again meanwhile: that one counts
        return
    now = utcnow()
    row.updated_at = now
    if check.outcome == UNAVAILABLE and (retry_at := next_attempt_at(job.attempts, now)):
        row.next_attempt_at, row.result = retry_at, check.detail[:500]
        db.session.commit()
        return
    row.next_attempt_at = None
    if check.outcome == LINKED:
        row.status, row.result = "accepted", None
        try:
            _register(job.post.id, job.source_url, check, job.ip_address)  # commits
        except IntegrityError:
            db.session.rollback()
            return _settle(job, check)
        db.session.commit()
        return
    # The source is gone or no longer links us (Webmention's update/delete): any entry
    # it made earlier goes to the trash.
    row.status, row.result = "rejected", check.detail[:500]
    trash_pingback(post_id=job.post.id, source_url=job.source_url)
    db.session.commit()


def answer_pingback_call(body: bytes, ip_address: str) -> bytes:
    """Decode the call, run it, encode the answer (faults included)."""
    try:
        method, params = codes.parse_call(body)
    except codes.XmlRpcError as exc:
        return codes.fault_body(codes.PARSE_ERROR, f"Parse error: {exc}.")
    if method != "pingback.ping":
        return codes.fault_body(codes.METHOD_NOT_FOUND, f"No method {method[:100]!r}.")
    if len(params) != 2 or not all(isinstance(p, str) for p in params):
        return codes.fault_body(
            codes.INVALID_PARAMS, "pingback.ping takes two strings: source and target."
        )
    source, target = (param.strip() for param in params)
    try:
        return codes.result_body(receive_pingback(source, target, ip_address))
    except PingbackFault as fault:
        return codes.fault_body(fault.code, fault.message)
