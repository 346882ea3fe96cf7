"""Posts: the publishing rules, one function per use case, in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from api.auth.policy import Actor, Role, ensure_may_write_post, may_read_draft
from api.content.models import Post, Tag
from api.content.slugs import slug_from, unique_slug
from api.content.taxonomy import author_id_for_slug
from api.errors import Conflict, InvalidInput, NotFound
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.queue import enqueue_after_commit
from api.infra.timestamps import utcnow
from api.rendering import plain_text, render_post

Precondition = Callable[[Post], None] | None
EXCERPT_WORDS = 55  # WordPress's automatic excerpt length


def post_data(post: Post) -> dict:
    """The post as events carry it."""
    return {
        "id": post.id,
        "slug": post.slug,
        "title": post.title,
        "status": post.status,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "author": post.author.slug,
        "tags": [tag.slug for tag in post.tags],
    }


# --- reading ---------------------------------------------------------------------------


def get_post(actor: Actor | None, slug: str) -> Post:
    """The post as an entity, for writers and other areas; its JSON representations
    are read through api/content/reading.py."""
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if post is None or (not post.is_public and not may_read_draft(actor, post.author_id)):
        raise NotFound(f"No post with slug {slug!r}.")
    return post


# --- writing ---------------------------------------------------------------------------


def create_post(actor: Actor | None, data: dict) -> Post:
    author_id = _author_for(actor, data.get("author"))
    ensure_may_write_post(actor, author_id)
    post = Post(author_id=author_id, title=data["title"], comments_open=data["comments_open"])
    post.slug = data.get("slug") or unique_slug(Post, data["title"], "post")
    _set_body(post, data.get("body", ""), data.get("excerpt"))
    status, published_at = _check_status(data["status"], data.get("published_at"))
    post.status, post.published_at = status, published_at
    post.tags = _tags_for(data.get("tags", []))
    db.session.add(post)
    _flush(post, "created")
    record_event(_created_event(post), {"post": post_data(post)})
    _queue_publication(post)
    return post


def update_post(actor: Actor | None, slug: str, changes: dict, precondition: Precondition) -> Post:
    post = _locked_post(actor, slug, precondition)
    before_status, before_slug, before_body = post.status, post.slug, post.body
    if "slug" in changes and changes["slug"] != post.slug:
        _ensure_slug_free(changes["slug"])
    if "author" in changes:
        new_author = _author_for(actor, changes["author"])
        ensure_may_write_post(actor, new_author)
        post.author_id = new_author
    for name in ("title", "slug", "comments_open"):
        if name in changes:
            setattr(post, name, changes[name])
    if "body" in changes or "excerpt" in changes:
        _set_body(post, changes.get("body", post.body), changes.get("excerpt", post.excerpt))
    if "tags" in changes:
        post.tags = _tags_for(changes["tags"])
    if "status" in changes or "published_at" in changes:
        published_at = changes.get("published_at", post.published_at)
        if (
            changes.get("status") == "published"
            and before_status != "published"
            and "published_at" not in changes
        ):
            published_at = None  # publishing a draft stamps it now
        post.status, post.published_at = _check_status(
            changes.get("status", post.status), published_at
        )
    post.updated_at = utcnow()
    _flush(post, "updated")
    record_event(
        _update_event(before_status, post.status),
        {
            "post": post_data(post),
            "previous_slug": before_slug,
            "changed": sorted(changes),
            "body_changed": post.body != before_body,
        },
    )
    _queue_publication(post)
    return post


def delete_post(actor: Actor | None, slug: str, precondition: Precondition) -> None:
    post = _locked_post(actor, slug, precondition)
    # Recorded before the row goes: the reactions to it (the post's comments leave with
    # their counts, api/wiring.py) run now, in this transaction, while the post is there.
    record_event(events.POST_DELETED, {"post": post_data(post)})
    db.session.delete(post)
    _flush(post, "deleted")


def due_scheduled_posts(limit: int = 500) -> list[int]:
    """The scheduled posts whose time has come, soonest first."""
    return list(
        db.session.scalars(
            select(Post.id)
            .where(Post.status == "scheduled", Post.published_at <= utcnow())
            .order_by(Post.published_at)
            .limit(limit)
        )
    )


def publish_scheduled_post(post_id: int) -> bool:
    """Publish one scheduled post if it is still scheduled; False when another worker
    did (its row is locked or already flipped), so two workers publish it once."""
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id, Post.status == "scheduled")
        .with_for_update(skip_locked=True)
    )
    if post is None:
        return False
    post.status = "published"
    _flush(post, "published")
    record_event(events.POST_PUBLISHED, {"post": post_data(post), "scheduled": True})
    return True


# --- rules -----------------------------------------------------------------------------


def _author_for(actor: Actor | None, author_slug: str | None) -> int | None:
    if author_slug:
        try:
            return author_id_for_slug(author_slug)
        except NotFound:
            raise InvalidInput(
                errors={"author": [f"No author with slug {author_slug!r}."]}
            ) from None
    if actor is not None and actor.role is Role.AUTHOR:
        return actor.author_id
    if actor is None:
        return None
    raise InvalidInput(errors={"author": ["Name the post's author (an author slug)."]})


def _check_status(status: str, published_at: datetime | None) -> tuple[str, datetime | None]:
    now = utcnow()
    if status == "scheduled":
        if published_at is None or published_at <= now:
            raise InvalidInput(
                errors={"published_at": ["A scheduled post needs a published_at in the future."]}
            )
    elif status == "published":
        if published_at is None:
            published_at = now
        elif published_at > now:
            raise InvalidInput(
                errors={"published_at": ["That time is in the future: use status scheduled."]}
            )
    return status, published_at


def _set_body(post: Post, body: str, excerpt: str | None) -> None:
    post.body = body
    post.body_html = render_post(body)
    post.excerpt = excerpt or ""
    words = plain_text(post.body_html).split()
    post.auto_excerpt = " ".join(words[:EXCERPT_WORDS]) + (
        " […]" if len(words) > EXCERPT_WORDS else ""
    )


def _ensure_slug_free(slug: str) -> None:
    if db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None:
        raise Conflict(f"The slug {slug!r} is taken by another post.")


def _tags_for(names: list[str]) -> list[Tag]:
    """Tags by slug or name; names nobody has used yet become new tags."""
    wanted = {slug_from(name, "tag"): name for name in names}
    existing = {
        tag.slug: tag for tag in db.session.scalars(select(Tag).where(Tag.slug.in_(list(wanted))))
    }
    tags = []
    for slug, name in wanted.items():
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(slug=slug, name=name.strip())
            db.session.add(tag)
            unit_of_work.flush()
            record_event(
                events.TAG_CREATED, {"tag": {"id": tag.id, "slug": slug, "name": tag.name}}
            )
        tags.append(tag)
    return tags


def _locked_post(actor: Actor | None, slug: str, precondition: Precondition) -> Post:
    post = db.session.scalar(select(Post).where(Post.slug == slug).with_for_update(of=Post))
    if post is None or (not post.is_public and not may_read_draft(actor, post.author_id)):
        raise NotFound(f"No post with slug {slug!r}.")
    ensure_may_write_post(actor, post.author_id)
    if precondition:
        precondition(post)
    return post


def _flush(post: Post, verb: str) -> None:
    unit_of_work.flush(
        conflict=f"The slug {post.slug!r} is taken by another post.",
        stale=f"The post changed while it was being {verb}; retry.",
    )


def _queue_publication(post: Post) -> None:
    """A scheduled post gets a queued publication at its time (the sweep backs it up)."""
    if post.status == "scheduled":
        enqueue_after_commit("publish_scheduled", eta=post.published_at)


def _created_event(post: Post) -> events.EventType:
    return {"published": events.POST_PUBLISHED, "scheduled": events.POST_SCHEDULED}.get(
        post.status, events.POST_CREATED
    )


def _update_event(before: str, after: str) -> events.EventType:
    if after == "published" and before != "published":
        return events.POST_PUBLISHED
    if before == "published" and after != "published":
        return events.POST_UNPUBLISHED
    if after == "scheduled" and before != "scheduled":
        return events.POST_SCHEDULED
    return events.POST_UPDATED


# --- for other areas -------------------------------------------------------------------


@dataclass(frozen=True)
class PostRef:
    """What other areas may know of a post."""

    id: int
    slug: str
    title: str
    url: str
    status: str
    comments_open: bool
    published_at: datetime | None


def post_ref(post, site_url: str) -> PostRef:
    """From an entity or a row of _REF_COLUMNS."""
    return PostRef(
        id=post.id,
        slug=post.slug,
        title=post.title,
        url=site_url.replace("{slug}", post.slug),
        status=post.status,
        comments_open=post.comments_open,
        published_at=post.published_at,
    )


_REF_COLUMNS = (
    Post.id,
    Post.slug,
    Post.title,
    Post.status,
    Post.comments_open,
    Post.published_at,
)
# Built once (see api/content/reading.py on statements per request).
_REF_BY_SLUG = select(*_REF_COLUMNS).where(Post.slug == bindparam("slug"))
_REF_BY_ID = select(*_REF_COLUMNS).where(Post.id == bindparam("post_id"))


def find_post(
    *, slug: str | None = None, post_id: int | None = None, site_url: str
) -> PostRef | None:
    """A post by slug or id, whatever its status (callers check `status`).

    Columns only: the entity would join its author and load its tags, which no caller
    of a PostRef needs (this runs on every comment thread read)."""
    if slug is not None:
        row = db.session.execute(_REF_BY_SLUG, {"slug": slug}).first()
    else:
        row = db.session.execute(_REF_BY_ID, {"post_id": post_id}).first()
    return post_ref(row, site_url) if row else None


def find_posts(post_ids: set[int], *, site_url: str) -> dict[int, PostRef]:
    """Several posts by id in one query (a page of the moderation queue)."""
    if not post_ids:
        return {}
    rows = db.session.execute(select(*_REF_COLUMNS).where(Post.id.in_(post_ids)))
    return {row.id: post_ref(row, site_url) for row in rows}


def set_comment_count(post_id: int, count: int) -> None:
    """Kept by the comments area; changes the post's ETag like any other change."""
    # Only the count and the version are touched: the author and tags load if asked for.
    post = db.session.get(Post, post_id, options=[lazyload(Post.author), lazyload(Post.tags)])
    if post is not None and post.comment_count != count:
        post.comment_count = count


def post_body_html(post_id: int) -> str | None:
    """The stored, sanitised HTML of a post's body (linkbacks extract its links)."""
    return db.session.scalar(select(Post.body_html).where(Post.id == post_id))
