"""Other sites telling us they link one of our posts: Pingback and Webmention.

The target is checked first and cheaply (a published post of this site, open to
pingbacks), so nobody can make us fetch anything without naming a real post. The
source is then fetched through the guarded client, with no database transaction
open, and must link the target. Entries land in the moderation queue as `pending`.

Pingback answers synchronously, since the spec wants the fault code in the reply: it
is a workflow of three steps (the target read, the source fetch with no transaction
open, the entry written in a unit of work of its own). The fetch holds a request
thread, so it has a short total deadline (`pingback_verify_timeout`, a dripping source
included) and runs in one of a few slots (api/linkbacks/slots.py): a ping over the
global or per-address cap gets fault 0 and `Retry-After` without waiting. Webmention is
queued (202) in the route's unit of work and verified by the worker
(api/linkbacks/jobs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.comments.services import add_pingback
from api.content.services import PostRef
from api.errors import Conflict, DomainError
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.queue import enqueue_after_commit
from api.infra.timestamps import utcnow
from api.linkbacks import targets
from api.linkbacks import xmlrpc as codes
from api.linkbacks.fetching import guarded_client
from api.linkbacks.models import ReceivedWebmention
from api.linkbacks.slots import NoSlot, Slots
from api.linkbacks.urls import is_http_url, same_resource
from api.linkbacks.verification import LINKED, NO_LINK, check_source
from api.web.clients import network_of


class PingbackFault(Exception):
    """A pingback refused with one of the spec's fault codes."""

    def __init__(self, code: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


# Verifications running in this process (each holds a request thread while it fetches).
verifying = Slots()


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


def links_to(target_url: str, slugs: Iterable[str]) -> Callable[[str], bool]:
    """Whether a link of the source points at the post (by the URL pinged, or any
    spelling of the post's URL under any of its `slugs`, old ones included)."""
    site, slugs = targets.our_site(), frozenset(slugs)

    def links_target(url: str) -> bool:
        return same_resource(url, target_url) or site.slug_of(url) in slugs

    return links_target


def _is_same_page(source_url: str, target_url: str, post: PostRef) -> bool:
    return same_resource(source_url, target_url) or same_resource(source_url, post.url)


# --- Pingback (XML-RPC, synchronous) ------------------------------------------------------


def receive_pingback(source_url: str, target_url: str, ip_address: str | None) -> str:
    """Verify and register `pingback.ping(source, target)`; raises PingbackFault."""
    if not is_http_url(source_url):
        raise PingbackFault(codes.SOURCE_MISSING, "The source URL does not exist.")
    post = _pingable_post(target_url)
    if _is_same_page(source_url, target_url, post):
        raise PingbackFault(codes.GENERIC, "The source and the target are the same page.")
    links_target = links_to(target_url, targets.slugs_of(post))
    unit_of_work.end_reads()
    settings = current_app.config["MARGINALIA"]
    try:
        with (
            verifying.hold(
                network_of(ip_address or ""),
                total=settings.pingback_verifications,
                per_key=settings.pingback_verifications_per_address,
            ),
            guarded_client(total_timeout=settings.pingback_verify_timeout) as client,
        ):
            check = check_source(client, source_url, links_target)
    except NoSlot:
        wait = max(1, round(settings.pingback_verify_timeout))
        raise PingbackFault(
            codes.GENERIC,
            f"Too many pingbacks are being checked right now; send it again in {wait} seconds.",
            retry_after=wait,
        ) from None
    if check.outcome == NO_LINK:
        raise PingbackFault(codes.NO_LINK, "The source URL does not contain a link to the target.")
    if check.outcome != LINKED:
        raise PingbackFault(codes.SOURCE_MISSING, "The source URL does not exist.")
    try:
        with unit_of_work.unit_of_work():
            _, created = add_pingback(
                post_id=post.id,
                source_url=source_url,
                source_title=check.title,
                excerpt_html=check.excerpt_html,
                status="pending",
                ip_address=ip_address,
            )
    except Conflict:  # the same ping, registered concurrently
        created = False
    if not created:
        raise PingbackFault(codes.ALREADY_REGISTERED, "The pingback has already been registered.")
    return f"Pingback from {source_url} to {target_url} registered. Thanks for linking!"


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
    row = _received_row(post.id, source_url, target_url)
    # Sent again: the source changed (a new or a removed link); verify it again.
    row.target_url, row.status, row.result = target_url, "queued", None
    row.ip_address, row.attempts = ip_address, 0
    row.next_attempt_at = row.updated_at = utcnow()
    enqueue_after_commit("verify_received_webmentions")


def _received_row(post_id: int, source_url: str, target_url: str) -> ReceivedWebmention:
    """The row of this (target, source), created if new: a Webmention received twice at
    once (the same sender retrying) ends in one row."""
    wanted = (
        ReceivedWebmention.target_post_id == post_id,
        ReceivedWebmention.source_url == source_url,
    )
    row = db.session.scalar(select(ReceivedWebmention).where(*wanted))
    if row is not None:
        return row
    try:
        with unit_of_work.current().savepoint():
            row = ReceivedWebmention(
                target_post_id=post_id, source_url=source_url, target_url=target_url
            )
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = db.session.scalar(select(ReceivedWebmention).where(*wanted))
    return row


def answer_pingback_call(body: bytes, ip_address: str) -> tuple[bytes, dict[str, str]]:
    """Decode the call, run it, encode the answer (faults included) and its headers
    (`Retry-After` when the verifications are busy)."""
    try:
        method, params = codes.parse_call(body)
    except codes.XmlRpcError as exc:
        return codes.fault_body(codes.PARSE_ERROR, f"Parse error: {exc}."), {}
    if method != "pingback.ping":
        return codes.fault_body(codes.METHOD_NOT_FOUND, f"No method {method[:100]!r}."), {}
    if len(params) != 2 or not all(isinstance(p, str) for p in params):
        return codes.fault_body(
            codes.INVALID_PARAMS, "pingback.ping takes two strings: source and target."
        ), {}
    source, target = (param.strip() for param in params)
    try:
        return codes.result_body(receive_pingback(source, target, ip_address)), {}
    except PingbackFault as fault:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
        return codes.fault_body(fault.code, fault.message), headers
