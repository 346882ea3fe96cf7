"""Editorial safety: restoring revisions, pending drafts over published posts, and
preview links. One function per use case, in the caller's unit of work; the writes go
through api/content/services.py, so each records its revision and its event like any
update."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from api.auth.policy import SCHEDULER, Actor, may_write_post
from api.content import revisions, services
from api.content.models import PendingDraft, Post, PreviewLink, Revision
from api.errors import Conflict, InvalidInput, NotFound
from api.events.outbox import record_event
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.queue import enqueue_after_commit
from api.infra.timestamps import utcnow
from api.rendering import render_post

Precondition = Callable[[object], None] | None
# What a pending draft may change: the content, not the status or the dates (a draft
# over a published post is published as a whole, by staff or at its `publish_at`).
DRAFT_REFUSED = ("status", "published_at", "unpublish_at")


# --- revisions -------------------------------------------------------------------------


def post_for_revisions(actor: Actor | None, slug: str, kind: str = "post") -> Post:
    """The post whose revisions the actor reads: staff who may write it (404 otherwise)."""
    post = db.session.scalar(select(Post).where(Post.slug == slug, Post.type == kind))
    if post is None or not _may_write(actor, post):
        raise NotFound(f"No {kind} with slug {slug!r}.")
    return post


def get_revision(actor: Actor | None, slug: str, number: int, kind: str = "post") -> Revision:
    post = post_for_revisions(actor, slug, kind)
    revision = revisions.find_revision(post.id, number)
    if revision is None:
        raise NotFound(f"The {kind} {slug!r} has no revision {number}.")
    return revision


def diff_revisions(
    actor: Actor | None, slug: str, number: int, against: int, kind: str = "post"
) -> dict:
    """What changed from revision `against` to revision `number`."""
    new = get_revision(actor, slug, number, kind)
    old = get_revision(actor, slug, against, kind)
    return {
        "revision": number,
        "against": against,
        **revisions.diff(old.snapshot, new.snapshot, f"revision {against}", f"revision {number}"),
    }


def restore_revision(
    actor: Actor, slug: str, number: int, precondition: Precondition, kind: str = "post"
) -> Post:
    """Write a revision's content back (RESTORED_FIELDS): a new revision, the update's
    event and `*.revision_restored`."""
    post = services.locked_post(actor, slug, precondition, kind)
    revision = revisions.find_revision(post.id, number)
    if revision is None:
        raise NotFound(f"The {kind} {slug!r} has no revision {number}.")
    changes = {name: revision.snapshot.get(name) for name in revisions.RESTORED_FIELDS}
    changes["title"] = changes["title"] or post.title
    changes["body"] = changes["body"] or ""
    changes["tags"] = changes["tags"] or []
    if changes["author"] is None:
        del changes["author"]
    services.apply_update(actor, post, changes, note=f"restored revision {number}")
    event_type, key = services.event_for(post, "revision_restored")
    record_event(event_type, {key: services.post_data(post), "revision": number})
    return post


# --- pending drafts over published posts -----------------------------------------------


def save_draft(
    actor: Actor, slug: str, changes: dict, publish_at, kind: str = "post"
) -> PendingDraft:
    """Store (replace) the pending changes of a published post; readers see none."""
    post = services.locked_post(actor, slug, None, kind)
    if post.status != "published":
        raise Conflict(f"The {kind} is not published: change it directly (PATCH).")
    refused = sorted(name for name in DRAFT_REFUSED if name in changes)
    if refused:
        raise InvalidInput(
            errors={name: ["A pending draft changes content only."] for name in refused}
        )
    if "author" in changes:
        services.check_author(actor, changes["author"])
    if publish_at is not None and publish_at <= utcnow():
        raise InvalidInput(errors={"publish_at": ["publish_at must be in the future."]})
    writer = revisions.writer_of(actor)
    draft = db.session.get(PendingDraft, post.id)
    if draft is None:
        draft = PendingDraft(post_id=post.id)
        db.session.add(draft)
    draft.changes = _json_changes(changes)
    draft.publish_at = publish_at
    draft.saved_at = utcnow()
    draft.saved_by_name, draft.saved_by_role = writer.name, writer.role
    unit_of_work.flush(stale="The pending draft changed while it was being saved; retry.")
    event_type, key = services.event_for(post, "draft_saved")
    record_event(
        event_type,
        {
            key: services.post_data(post),
            "changed": sorted(changes),
            "publish_at": draft.publish_at.isoformat() if draft.publish_at else None,
        },
    )
    if publish_at is not None:
        enqueue_after_commit("publish_due_drafts", eta=publish_at)
    return draft


def get_draft(actor: Actor | None, slug: str, kind: str = "post") -> tuple[Post, PendingDraft]:
    post = post_for_revisions(actor, slug, kind)
    draft = db.session.get(PendingDraft, post.id)
    if draft is None:
        raise NotFound(f"The {kind} {slug!r} has no pending draft.")
    return post, draft


def discard_draft(actor: Actor, slug: str, precondition: Precondition, kind: str = "post") -> None:
    post = services.locked_post(actor, slug, None, kind)
    draft = db.session.get(PendingDraft, post.id)
    if draft is None:
        raise NotFound(f"The {kind} {slug!r} has no pending draft.")
    if precondition:
        precondition(draft)
    db.session.delete(draft)


def publish_draft(actor: Actor, slug: str, precondition: Precondition, kind: str = "post") -> Post:
    """Make the pending draft live in this transaction: one revision, one event."""
    post = services.locked_post(actor, slug, None, kind)
    draft = db.session.get(PendingDraft, post.id, with_for_update=True)
    if draft is None:
        raise NotFound(f"The {kind} {slug!r} has no pending draft.")
    if precondition:
        precondition(draft)
    return _publish(actor, post, draft, note="published the pending draft")


def due_drafts(limit: int = 500) -> list[int]:
    """The posts whose pending draft's `publish_at` has come, soonest first."""
    return list(
        db.session.scalars(
            select(PendingDraft.post_id)
            .where(PendingDraft.publish_at <= utcnow())
            .order_by(PendingDraft.publish_at)
            .limit(limit)
        )
    )


def publish_due_draft(post_id: int) -> bool:
    """Publish one due pending draft; False when another worker did (its row is locked
    or gone), so two workers publish it once."""
    draft = db.session.scalar(
        select(PendingDraft)
        .where(PendingDraft.post_id == post_id, PendingDraft.publish_at <= utcnow())
        .with_for_update(skip_locked=True)
    )
    if draft is None:
        return False
    post = db.session.scalar(select(Post).where(Post.id == post_id).with_for_update(of=Post))
    _publish(SCHEDULER, post, draft, note="published the pending draft when due")
    return True


def _publish(actor: Actor, post: Post, draft: PendingDraft, note: str) -> Post:
    changes = dict(draft.changes)
    db.session.delete(draft)
    services.apply_update(
        actor,
        post,
        changes,
        verb="draft_published",
        note=note,
        extra={"scheduled": actor is SCHEDULER},
    )
    return post


def _json_changes(changes: dict) -> dict:
    return {name: value for name, value in changes.items() if name not in DRAFT_REFUSED}


# --- preview links ---------------------------------------------------------------------


def create_preview_link(
    actor: Actor,
    slug: str,
    expires_in: int,
    revision: int | None,
    *,
    secret: str,
    longest: int,
    kind: str = "post",
) -> tuple[PreviewLink, str]:
    """A link showing the post's draft, its pending draft, or one revision."""
    post = services.locked_post(actor, slug, None, kind)
    if not 1 <= expires_in <= longest:
        raise InvalidInput(errors={"expires_in": [f"1 to {longest} seconds."]})
    if revision is not None and revisions.find_revision(post.id, revision) is None:
        raise InvalidInput(errors={"revision": [f"The {kind} has no revision {revision}."]})
    now = utcnow()
    link = PreviewLink(
        post_id=post.id,
        nonce=secrets.token_urlsafe(24),
        revision=revision,
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in),
        created_by=revisions.writer_of(actor).name[:200],
    )
    db.session.add(link)
    unit_of_work.flush()
    return link, _signer(secret).dumps([post.id, link.nonce])


def revoke_preview_link(actor: Actor, slug: str, link_id: int, kind: str = "post") -> None:
    post = services.locked_post(actor, slug, None, kind)
    link = db.session.get(PreviewLink, link_id)
    if link is None or link.post_id != post.id:
        raise NotFound(f"The {kind} {slug!r} has no preview link {link_id}.")
    db.session.delete(link)


def list_preview_links(actor: Actor, slug: str, kind: str = "post") -> list[PreviewLink]:
    post = post_for_revisions(actor, slug, kind)
    return list(
        db.session.scalars(
            select(PreviewLink)
            .where(PreviewLink.post_id == post.id, PreviewLink.expires_at > utcnow())
            .order_by(PreviewLink.id)
        )
    )


def forget_expired_links() -> int:
    """Expired preview links name nothing any more: their rows go (the worker, hourly)."""
    return db.session.execute(
        delete(PreviewLink).where(PreviewLink.expires_at <= utcnow())
    ).rowcount


def preview(token: str, *, secret: str) -> dict:
    """What a preview link shows. Expired, tampered, revoked and other posts' tokens are
    all the same 404: a token tells nothing about why it names nothing."""
    missing = NotFound("No such preview.")
    try:
        post_id, nonce = _signer(secret).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise missing from None
    if not isinstance(post_id, int) or not isinstance(nonce, str):
        raise missing
    link = db.session.scalar(select(PreviewLink).where(PreviewLink.nonce == nonce))
    if link is None or link.post_id != post_id or link.expires_at <= utcnow():
        raise missing
    post = db.session.get(Post, post_id)
    if post is None:
        raise missing
    if link.revision is not None:
        revision = revisions.find_revision(post.id, link.revision)
        if revision is None:
            raise missing  # pruned since
        shown, version = dict(revision.snapshot), f"revision {link.revision}"
    else:
        shown, version = revisions.snapshot(post), "current"
        draft = db.session.get(PendingDraft, post.id)
        if draft is not None:
            shown.update(_as_snapshot(draft.changes))
            version = "pending draft"
    return {
        **shown,
        "id": post.id,
        "type": post.type,
        "version": version,
        "body_html": render_post(shown.get("body") or ""),
        "expires_at": link.expires_at,
    }


def _as_snapshot(changes: dict) -> dict:
    shown = {name: value for name, value in changes.items() if name != "excerpt"}
    if "excerpt" in changes and "custom_excerpt" not in changes:
        shown["custom_excerpt"] = changes["excerpt"] or None
    return shown


def _signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="preview-link")


def _may_write(actor: Actor | None, post: Post) -> bool:
    return actor is not None and may_write_post(actor, post.author_id)
