"""Our posts' own links: pingback entries between our posts, pings to other sites.

`on_post_changed` is the linkbacks area's handler of post events (api/wiring.py): it
runs in the event dispatcher's unit of work and only writes rows. Sending the pings it
queues is the worker's (api/linkbacks/jobs.py).

Pingback entries are the comments area's: they are added through api.comments.services
and trashed or restored as automatic moderation decisions (api.moderation.automatic).
Every step is idempotent, so a replayed event converges to the same rows.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from api.auth.policy import Actor, ensure_may_read_post_log
from api.comments.services import add_pingback
from api.content.services import PostRef, find_post, get_post, post_body_html
from api.events import catalogue as events
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.queue import enqueue_after_commit
from api.infra.rows import as_data, continue_ids, from_data
from api.infra.timestamps import utcnow
from api.linkbacks import targets
from api.linkbacks.extraction import Link, extract_links
from api.linkbacks.models import InternalLink, OutgoingLinkback, ReceivedWebmention
from api.linkbacks.urls import MAX_URL_LENGTH
from api.linkbacks.verification import clip_title, excerpt_html
from api.moderation.automatic import restore_pingback, trash_pingback

POST_EVENTS = (
    events.POST_PUBLISHED,
    events.POST_UPDATED,
    events.POST_UNPUBLISHED,
    events.POST_DELETED,
    events.POST_DRAFT_PUBLISHED,  # a pending draft went live: its links are new
)


# --- reacting to posts (in the event dispatcher) --------------------------------------------


def on_post_changed(event) -> None:
    """Bring one post's linkbacks in line with the post as it is now."""
    try:
        with unit_of_work.current().savepoint():
            _handle(event.type, event.data)
    except IntegrityError:
        # Someone made the same row or entry meanwhile (its savepoint is gone): look again.
        _handle(event.type, event.data)


def _handle(event_type: str, data: dict) -> None:
    post = data.get("post") or {}
    post_id = post.get("id")
    if post_id is None:
        return
    if event_type == events.POST_DELETED.name:
        _forget_post(post_id)
    elif event_type == events.POST_UPDATED.name and (
        post.get("status") != "published" or not data.get("body_changed")
    ):
        return  # a draft's edit, or no new links
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
        _, created = add_pingback(
            post_id=target_id,
            source_url=row.source_url,
            source_title=clip_title(source.title),
            excerpt_html=excerpt_html(link.excerpt),
            status="approved" if approved else "pending",
        )
        if not created:  # linked again after the link was removed: back from the trash
            restore_pingback(post_id=target_id, source_url=row.source_url)
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
        enqueue_after_commit("send_pending_linkbacks")


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


# --- reading ------------------------------------------------------------------------------


def list_outgoing(
    actor: Actor | None,
    slug: str,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
) -> Page:
    """The other sites a post links, and what pinging each gave, in link order."""
    post = get_post(actor, slug)
    ensure_may_read_post_log(actor, post.author_id)
    post_id = post.id
    return paginate(
        db.session,
        select(OutgoingLinkback).where(OutgoingLinkback.source_post_id == post_id),
        [SortKey(OutgoingLinkback.id)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda row: [row.id],
    )


# --- export and restore (`marginalia export`, `marginalia import marginalia`) ------------

_TABLES = {
    model.__tablename__: model for model in (InternalLink, OutgoingLinkback, ReceivedWebmention)
}


def export_linkbacks():
    """Links between our posts, pings sent and Webmentions received, each with its table."""
    for name, model in _TABLES.items():
        for row in db.session.scalars(select(model).order_by(model.id)):
            yield {"table": name, **as_data(row)}


def restore_linkback(data: dict) -> None:
    model = _TABLES.get(data.get("table"))
    if model is None:
        raise ValueError(f"no linkback table {data.get('table')!r}")
    db.session.add(from_data(model, data))
    db.session.flush()


def restored_linkbacks() -> None:
    continue_ids(*_TABLES.values())


def clear_old_ips(before) -> int:
    """The IPs of Webmentions received before `before` are cleared (IP retention)."""
    from sqlalchemy import update

    result = db.session.execute(
        update(ReceivedWebmention)
        .where(ReceivedWebmention.created_at < before, ReceivedWebmention.ip_address.is_not(None))
        .values(ip_address=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
