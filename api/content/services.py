"""Posts and pages: the publishing rules, one function per use case, in the caller's
unit of work. A page is a row of the posts table with `type` "page": the same rules,
its own events (`page.*`), and comments closed unless opened."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import lazyload

from api.auth.policy import (
    SCHEDULER,
    Actor,
    Role,
    ensure_may_write_post,
    may_create_tags,
    may_read_draft,
)
from api.cache import keys as cache_keys
from api.content import revisions
from api.content.models import (
    CONTENT_FIELDS,
    POST_TYPES,
    Author,
    Post,
    PreviousSlug,
    Revision,
    Tag,
)
from api.content.slugs import MAX_SLUG, slug_from, unique_slug
from api.content.taxonomy import author_id_for_slug
from api.errors import Conflict, InvalidInput, NotFound
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra import unit_of_work
from api.infra.database import db, executor
from api.infra.queue import enqueue_after_commit
from api.infra.rows import as_data, continue_ids, from_data
from api.infra.timestamps import utcnow
from api.rendering import plain_text, render_post

Precondition = Callable[[Post], None] | None
EXCERPT_WORDS = 55  # WordPress's automatic excerpt length
IMAGE_FIELDS = ("feature_image", "og_image", "twitter_image")

_EVENTS = {
    kind: {
        verb: getattr(events, f"{kind.upper()}_{verb.upper()}")
        for verb in (
            "created",
            "scheduled",
            "published",
            "updated",
            "unpublished",
            "deleted",
            "revision_restored",
            "draft_saved",
            "draft_published",
        )
    }
    for kind in POST_TYPES
}


def post_data(post: Post) -> dict:
    """The post (or page) as events carry it, under the key "post" (or "page")."""
    return {
        "id": post.id,
        "slug": post.slug,
        "title": post.title,
        "status": post.status,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "author": post.author.slug,
        "tags": [tag.slug for tag in post.tags],
        "custom_excerpt": post.excerpt or None,
        **{name: getattr(post, name) for name in CONTENT_FIELDS},
        "reading_time": post.reading_time,
    }


def event_for(post: Post, verb: str) -> tuple[events.EventType, str]:
    """The event type of `verb` for this post or page, and the key its data goes under."""
    return _EVENTS[post.type][verb], post.type


# --- reading ---------------------------------------------------------------------------


def get_post(actor: Actor | None, slug: str) -> Post:
    """The post as an entity, for writers and other areas; its JSON representations
    are read through api/content/reading.py."""
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if post is None or (not post.is_public and not may_read_draft(actor, post.author_id)):
        raise NotFound(f"No post with slug {slug!r}.")
    return post


# --- writing ---------------------------------------------------------------------------


def create_post(actor: Actor | None, data: dict, kind: str = "post") -> Post:
    """A post, or with `kind` "page" a page (slugs are unique across both)."""
    author_id = _author_for(actor, data.get("author"))
    ensure_may_write_post(actor, author_id)
    post = Post(
        type=kind, author_id=author_id, title=data["title"], comments_open=data["comments_open"]
    )
    post.slug = data.get("slug") or unique_slug(Post, data["title"], kind)
    _set_body(post, data.get("body", ""), _written_excerpt(data, None))
    for name in CONTENT_FIELDS:
        if name in data:
            setattr(post, name, data[name])
    status, published_at = _check_status(data["status"], data.get("published_at"))
    post.status, post.published_at = status, published_at
    post.unpublish_at = _check_unpublish(data.get("unpublish_at"), post)
    post.tags = _tags_for(actor, data.get("tags", []))
    post.reading_time = reading_time(post.body_html, bool(post.feature_image))
    db.session.add(post)
    _flush(post, "created")
    event_type, key = event_for(post, _created_verb(post))
    record_event(event_type, {key: post_data(post)}, _public_keys(post, None))
    revisions.record(post, revisions.writer_of(actor), None)
    _queue_publication(post)
    return post


def update_post(
    actor: Actor | None,
    slug: str,
    changes: dict,
    precondition: Precondition,
    kind: str = "post",
) -> Post:
    post = _locked_post(actor, slug, precondition, kind)
    return apply_update(actor, post, changes)


def apply_update(
    actor: Actor,
    post: Post,
    changes: dict,
    *,
    verb: str | None = None,
    note: str = "",
    extra: dict | None = None,
) -> Post:
    """Write `changes` to a locked post, record its event (`verb`, or the one its status
    change names) and its revision. For the content area's own use cases (restoring a
    revision, publishing a pending draft, api/content/editorial.py)."""
    before, seen = revisions.snapshot(post), _Seen.of(post)
    before_status, before_slug, before_body = post.status, post.slug, post.body
    if "slug" in changes and changes["slug"] != post.slug:
        _ensure_slug_free(changes["slug"])
        _remember_previous_slug(post.id, before_slug, changes["slug"])
    if "author" in changes:
        new_author = _author_for(actor, changes["author"])
        ensure_may_write_post(actor, new_author)
        post.author_id = new_author
    for name in ("title", "slug", "comments_open", *CONTENT_FIELDS):
        if name in changes:
            setattr(post, name, changes[name])
    if "body" in changes or "excerpt" in changes or "custom_excerpt" in changes:
        _set_body(post, changes.get("body", post.body), _written_excerpt(changes, post.excerpt))
    post.reading_time = reading_time(post.body_html, bool(post.feature_image))
    if "tags" in changes:
        post.tags = _tags_for(actor, changes["tags"])
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
    if "unpublish_at" in changes:
        post.unpublish_at = _check_unpublish(changes["unpublish_at"], post)
    post.updated_at = utcnow()
    _flush(post, "updated")
    event_type, key = event_for(post, verb or _update_verb(before_status, post.status))
    record_event(
        event_type,
        {
            key: post_data(post),
            "previous_slug": before_slug,
            "changed": sorted(changes),
            "body_changed": post.body != before_body,
            **(extra or {}),
        },
        _public_keys(post, seen),
    )
    revisions.record(post, revisions.writer_of(actor), before, note)
    _queue_publication(post)
    return post


def delete_post(
    actor: Actor | None, slug: str, precondition: Precondition, kind: str = "post"
) -> None:
    post = _locked_post(actor, slug, precondition, kind)
    # Recorded before the row goes: the reactions to it (the post's comments leave with
    # their counts, api/wiring.py) run now, in this transaction, while the post is there.
    event_type, key = event_for(post, "deleted")
    record_event(event_type, {key: post_data(post)}, _public_keys(post, _Seen.of(post), gone=True))
    db.session.delete(post)
    _flush(post, "deleted")


def due_scheduled_posts(limit: int = 500) -> list[int]:
    """The scheduled posts whose time has come, soonest first."""
    return list(
        db.session.scalars(
            select(Post.id)
            # Both types named, so the (type, status, published_at) index serves this.
            .where(
                Post.type.in_(POST_TYPES),
                Post.status == "scheduled",
                Post.published_at <= utcnow(),
            )
            .order_by(Post.published_at)
            .limit(limit)
        )
    )


def publish_scheduled_post(post_id: int) -> bool:
    """Publish one scheduled post if it is still scheduled; False when another worker
    did (its row is locked or already flipped), so two workers publish it once. Only the
    post's row is locked (`of=Post`): locking its joined author too would make the other
    worker skip every post of that author meanwhile."""
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id, Post.status == "scheduled")
        .with_for_update(skip_locked=True, of=Post)
    )
    if post is None:
        return False
    before, seen = revisions.snapshot(post), _Seen.of(post)
    post.status = "published"
    _flush(post, "published")
    event_type, key = event_for(post, "published")
    record_event(event_type, {key: post_data(post), "scheduled": True}, _public_keys(post, seen))
    revisions.record(post, revisions.writer_of(SCHEDULER), before, "published when due")
    return True


def due_unpublications(limit: int = 500) -> list[int]:
    """The published posts and pages whose `unpublish_at` has come, soonest first."""
    return list(
        db.session.scalars(
            select(Post.id)
            .where(Post.unpublish_at <= utcnow(), Post.status == "published")
            .order_by(Post.unpublish_at)
            .limit(limit)
        )
    )


def unpublish_due_post(post_id: int) -> bool:
    """Take one post back to draft if it is still published and due; False when another
    worker did (its row is locked or already changed), so two workers unpublish it once."""
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id, Post.status == "published", Post.unpublish_at <= utcnow())
        .with_for_update(skip_locked=True, of=Post)
    )
    if post is None:
        return False
    before, seen = revisions.snapshot(post), _Seen.of(post)
    post.status, post.unpublish_at, post.updated_at = "draft", None, utcnow()
    _flush(post, "unpublished")
    event_type, key = event_for(post, "unpublished")
    record_event(event_type, {key: post_data(post), "scheduled": True}, _public_keys(post, seen))
    revisions.record(post, revisions.writer_of(SCHEDULER), before, "unpublished when due")
    return True


# --- rules -----------------------------------------------------------------------------


class _Seen(NamedTuple):
    """What anonymous readers could see of a post before a change."""

    public: bool
    author_id: int | None
    tag_ids: frozenset[int]

    @classmethod
    def of(cls, post: Post) -> _Seen:
        return cls(
            post.status == "published", post.author_id, frozenset(tag.id for tag in post.tags)
        )


def _public_keys(post: Post, before: _Seen | None, *, gone: bool = False) -> list[str]:
    """The cache keys a change of `post` alters (api/cache/keys.py): none unless it was or
    is public. A post entering or leaving the public set changes its collection, its
    thread, and its author's and tags' published counts; so does a public post changing
    author or tags."""
    after = _Seen(False, None, frozenset()) if gone else _Seen.of(post)
    before = before or _Seen(False, None, frozenset())
    if not (before.public or after.public):
        return []
    changed = [cache_keys.post(post.id), cache_keys.collection(post.type)]
    if before.public != after.public:
        changed.append(cache_keys.comments(post.id))
    if before.public != after.public or before.author_id != after.author_id:
        authors = {before.author_id, after.author_id} - {None}
        changed += [cache_keys.author(author_id) for author_id in sorted(authors)]
    if before.public != after.public:
        tag_ids = before.tag_ids | after.tag_ids
    else:
        tag_ids = before.tag_ids ^ after.tag_ids
    changed += [cache_keys.tag(tag_id) for tag_id in sorted(tag_ids)]
    return changed


def check_author(actor: Actor, author_slug: str | None) -> None:
    """Refuse now an author the actor could not give a post later (a pending draft's)."""
    ensure_may_write_post(actor, _author_for(actor, author_slug))


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


def _check_unpublish(unpublish_at: datetime | None, post: Post) -> datetime | None:
    if unpublish_at is None:
        return None
    if unpublish_at <= utcnow():
        raise InvalidInput(errors={"unpublish_at": ["unpublish_at must be in the future."]})
    if post.published_at is not None and unpublish_at <= post.published_at:
        raise InvalidInput(errors={"unpublish_at": ["unpublish_at must come after published_at."]})
    return unpublish_at


def _written_excerpt(data: dict, current: str | None) -> str | None:
    """`custom_excerpt` (Ghost's name) and `excerpt` (ours) write the same thing."""
    both = "custom_excerpt" in data and "excerpt" in data
    if both and (data["custom_excerpt"] or "") != (data["excerpt"] or ""):
        raise InvalidInput(
            errors={"custom_excerpt": ["Give excerpt or custom_excerpt, not two excerpts."]}
        )
    if "custom_excerpt" in data:
        return data["custom_excerpt"]
    return data.get("excerpt", current)


_IMAGE = re.compile(r"<img\b", re.IGNORECASE)
WORDS_PER_MINUTE = 275  # Ghost's reading speed


def reading_time(body_html: str, feature_image: bool) -> int:
    """Minutes, as Ghost counts them: the words at 275 a minute, plus 12 seconds for the
    first image, 11 for the second ... and 3 for each from the tenth on."""
    seconds = len(plain_text(body_html).split()) * 60 / WORDS_PER_MINUTE
    images = len(_IMAGE.findall(body_html)) + feature_image
    for extra in range(12, 12 - images, -1):
        seconds += max(extra, 3)
    return math.floor(seconds / 60 + 0.5)


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
        raise Conflict(f"The slug {slug!r} is taken by another post or page.")


def _remember_previous_slug(post_id: int, old: str, new: str) -> None:
    """The old slug keeps naming the post (a 301 to the new one, links to it still
    found). If two posts held the slug in turn, the later one keeps it: its links are
    newer. The new slug is a current slug now, which always wins over a history row."""
    db.session.execute(delete(PreviousSlug).where(PreviousSlug.slug == new))
    previous = db.session.get(PreviousSlug, old)
    if previous is None:
        db.session.add(PreviousSlug(slug=old, post_id=post_id, replaced_at=utcnow()))
    elif previous.post_id != post_id:
        previous.post_id, previous.replaced_at = post_id, utcnow()


def _tags_for(actor: Actor | None, names: list[str]) -> list[Tag]:
    """Tags by slug or name; names nobody has used yet become new tags (for those who
    may create tags; for others they are invalid input)."""
    wanted = {slug_from(name, "tag"): name for name in names}
    existing = {
        tag.slug: tag for tag in db.session.scalars(select(Tag).where(Tag.slug.in_(list(wanted))))
    }
    unknown = [name for slug, name in wanted.items() if slug not in existing]
    if unknown and not may_create_tags(actor):
        raise InvalidInput(
            errors={"tags": [f"No tag {name!r}: an editor creates new tags." for name in unknown]}
        )
    tags = []
    for slug, name in wanted.items():
        tag = existing.get(slug)
        if tag is None:
            tag = Tag(slug=slug, name=name.strip())
            db.session.add(tag)
            unit_of_work.flush()
            record_event(
                events.TAG_CREATED,
                {"tag": {"id": tag.id, "slug": slug, "name": tag.name}},
                (cache_keys.tag(tag.id), cache_keys.TAGS),
            )
        tags.append(tag)
    return tags


def locked_post(actor: Actor | None, slug: str, precondition: Precondition, kind: str) -> Post:
    """The post, locked for a write the actor may make (404 if they may not see it)."""
    return _locked_post(actor, slug, precondition, kind)


def _locked_post(actor: Actor | None, slug: str, precondition: Precondition, kind: str) -> Post:
    post = db.session.scalar(
        select(Post).where(Post.slug == slug, Post.type == kind).with_for_update(of=Post)
    )
    if post is None or (not post.is_public and not may_read_draft(actor, post.author_id)):
        raise NotFound(f"No {kind} with slug {slug!r}.")
    ensure_may_write_post(actor, post.author_id)
    if precondition:
        precondition(post)
    return post


def _flush(post: Post, verb: str) -> None:
    unit_of_work.flush(
        conflict=f"The slug {post.slug!r} is taken by another post or page.",
        stale=f"The {post.type} changed while it was being {verb}; retry.",
    )


def _queue_publication(post: Post) -> None:
    """A scheduled post gets a queued publication at its time, a post with an
    `unpublish_at` a queued unpublication (the minute sweep backs both up)."""
    if post.status == "scheduled":
        enqueue_after_commit("publish_scheduled", eta=post.published_at)
    if post.unpublish_at is not None:
        enqueue_after_commit("unpublish_scheduled", eta=post.unpublish_at)


def _created_verb(post: Post) -> str:
    return post.status if post.status in ("published", "scheduled") else "created"


def _update_verb(before: str, after: str) -> str:
    if after == "published" and before != "published":
        return "published"
    if before == "published" and after != "published":
        return "unpublished"
    if after == "scheduled" and before != "scheduled":
        return "scheduled"
    return "updated"


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
    run = executor()
    if slug is not None:
        row = run.execute(_REF_BY_SLUG, {"slug": slug}).first()
    else:
        row = run.execute(_REF_BY_ID, {"post_id": post_id}).first()
    return post_ref(row, site_url) if row else None


# What another area reads in the same statement as a post, given the post's id column
# (correlated subqueries): the comment intake's settings and the commenter's history.
ReadAlong = Callable[[Any], tuple]
_REF_ALONG: dict[ReadAlong, Any] = {}


def find_post_along(
    slug: str, *, site_url: str, along: ReadAlong, params: dict
) -> tuple[PostRef, tuple] | None:
    """A post by slug and the values of `along(post id column)` for it, in one statement
    (one round trip where a comment otherwise took three); None when no post has the
    slug. `along` must be a module-level function: its statement is built once."""
    statement = _REF_ALONG.get(along)
    if statement is None:
        statement = _REF_ALONG.setdefault(along, _REF_BY_SLUG.add_columns(*along(Post.id)))
    row = executor().execute(statement, {**params, "slug": slug}).first()
    if row is None:
        return None
    count = len(_REF_COLUMNS)
    return post_ref(row, site_url), tuple(row[count:])


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


def post_id_for_previous_slug(slug: str) -> int | None:
    """The post (or page) that was known as `slug` before (linkbacks match old URLs)."""
    return db.session.scalar(select(PreviousSlug.post_id).where(PreviousSlug.slug == slug))


def previous_slugs(post_id: int) -> list[str]:
    """The slugs a post (or page) had before its current one."""
    return list(
        db.session.scalars(select(PreviousSlug.slug).where(PreviousSlug.post_id == post_id))
    )


def remember_old_slugs(post_id: int, slugs: list[str]) -> list[str]:
    """Slugs a post (or page) had elsewhere (an import's old URLs) name it here too, as
    an old slug (301 to the current one). A slug that is a current slug, or an old slug
    of another post, is left alone; returns the slugs added."""
    added = []
    for slug in dict.fromkeys(s for s in slugs if s and len(s) <= MAX_SLUG):
        taken = db.session.scalar(select(Post.id).where(Post.slug == slug))
        if taken is not None or db.session.get(PreviousSlug, slug) is not None:
            continue
        db.session.add(PreviousSlug(slug=slug, post_id=post_id, replaced_at=utcnow()))
        added.append(slug)
    if added:
        unit_of_work.flush()
    return added


def images_in_use(urls: set[str]) -> bool:
    """Whether a post or page shows one of these image URLs (feature, og or twitter
    image): media in use is not deleted."""
    if not urls:
        return False
    columns = (getattr(Post, name) for name in IMAGE_FIELDS)
    found = select(Post.id).where(or_(*(column.in_(urls) for column in columns))).limit(1)
    return db.session.scalar(found) is not None


def post_body_html(post_id: int) -> str | None:
    """The stored, sanitised HTML of a post's body (linkbacks extract its links)."""
    return db.session.scalar(select(Post.body_html).where(Post.id == post_id))


# --- export and restore (`marginalia export`, `marginalia import marginalia`) ------------

_EXPORT_CHUNK = 500


def export_records() -> Iterator[tuple[str, dict]]:
    """Authors, tags, posts and pages (with their tag slugs and old slugs), then every
    revision, each row as stored: ids, times and rendered HTML included."""
    for model, kind in ((Author, "author"), (Tag, "tag")):
        for row in _in_chunks(model):
            yield kind, as_data(row)
    for post in _in_chunks(Post):
        old = db.session.execute(
            select(PreviousSlug.slug, PreviousSlug.replaced_at).where(
                PreviousSlug.post_id == post.id
            )
        )
        yield (
            post.type,
            {
                **as_data(post),
                "tags": [tag.slug for tag in post.tags],
                "previous_slugs": [{"slug": slug, "replaced_at": at} for slug, at in old],
            },
        )
    for revision in _in_chunks(Revision):
        yield "revision", as_data(revision)


def _in_chunks(model) -> Iterator:
    last = 0
    while rows := list(
        db.session.scalars(
            select(model).where(model.id > last).order_by(model.id).limit(_EXPORT_CHUNK)
        )
    ):
        yield from rows
        last = rows[-1].id
        db.session.expunge_all()


def restore_record(kind: str, data: dict) -> None:
    """One exported author, tag, post or page back as it was (into a database without
    it: ids are kept)."""
    if kind == "author":
        db.session.add(from_data(Author, data))
    elif kind == "tag":
        db.session.add(from_data(Tag, data))
    elif kind == "revision":
        db.session.add(from_data(Revision, data))  # as written then: no new revision
    else:
        post = from_data(Post, {**data, "type": kind})
        slugs = list(data.get("tags") or [])
        post.tags = list(db.session.scalars(select(Tag).where(Tag.slug.in_(slugs))))
        db.session.add(post)
        unit_of_work.flush()
        for old in data.get("previous_slugs") or []:
            db.session.add(
                from_data(PreviousSlug, {"slug": old["slug"], "post_id": post.id, **old})
            )
    unit_of_work.flush()


def restored() -> None:
    """After a restore: new rows get ids after the restored ones."""
    continue_ids(Author, Tag, Post, Revision)


def is_empty() -> bool:
    """No author, tag, post or page yet (a restore keeps ids, so it needs this)."""
    return all(
        db.session.scalar(select(model.id).limit(1)) is None for model in (Author, Tag, Post)
    )
