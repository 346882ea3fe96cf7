"""Revisions: every version of a post or page, stored by the content services in the
transaction that wrote it, with who wrote it and which fields changed.

A revision's `snapshot` holds the editable fields as the API writes them (the body in
Markdown, the author and tags by slug), so restoring one is an ordinary update. Numbers
count a post's versions from 1; the post's row lock (every writer takes it) keeps them
in order. Posts written before revisions were kept get the version they had as their
first revision the next time they change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from api.auth.policy import Actor
from api.content.models import CONTENT_FIELDS, Author, Post, Revision
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.timestamps import utcnow

# What restoring a revision writes back: the content. The slug (URLs), the status and
# the dates stay as they are: restoring an old text neither unpublishes nor moves a post.
RESTORED_FIELDS = ("title", "body", "custom_excerpt", "author", "tags", "comments_open")
RESTORED_FIELDS += CONTENT_FIELDS
SNAPSHOT_FIELDS = (
    "title",
    "slug",
    "body",
    "custom_excerpt",
    "status",
    "published_at",
    "unpublish_at",
    "author",
    "tags",
    "comments_open",
    *CONTENT_FIELDS,
)
BEFORE_REVISIONS = "system: before revisions"


@dataclass(frozen=True)
class Writer:
    """Who a revision names: a staff token's name and role, or a system writer."""

    name: str
    role: str


def writer_of(actor: Actor) -> Writer:
    if actor.is_system:
        name = actor.name if actor.name.startswith("system:") else f"system: {actor.name}"
        return Writer(name, "system")
    return Writer(actor.name, str(actor.role))


def _when(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def snapshot(post: Post) -> dict:
    """The editable fields of a post as they are now (JSON values)."""
    author = db.session.get(Author, post.author_id)
    return {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "custom_excerpt": post.excerpt or None,
        "status": post.status,
        "published_at": _when(post.published_at),
        "unpublish_at": _when(post.unpublish_at),
        "author": author.slug if author else None,
        "tags": [tag.slug for tag in post.tags],
        "comments_open": post.comments_open,
        **{name: getattr(post, name) for name in CONTENT_FIELDS},
    }


def changed_fields(before: dict, after: dict) -> list[str]:
    return [name for name in SNAPSHOT_FIELDS if before.get(name) != after.get(name)]


def record(post: Post, writer: Writer, before: dict | None, note: str = "") -> Revision:
    """Store the post as it is now as its next revision (`before`: what it was, None
    for a new post). Called after the change is flushed, in the same transaction."""
    last = db.session.scalar(select(func.max(Revision.number)).where(Revision.post_id == post.id))
    if last is None and before is not None:
        # Written before revisions were kept: its stored version becomes revision 1.
        db.session.add(_revision(post.id, 1, Writer(BEFORE_REVISIONS, "system"), before, [], ""))
        last = 1
    after = snapshot(post)
    changed = changed_fields(before, after) if before is not None else []
    if before is None:
        summary = "created"
    else:
        summary = f"changed {', '.join(changed)}" if changed else "saved without changes"
    if note:
        summary = f"{note}; {summary}"
    revision = _revision(post.id, (last or 0) + 1, writer, after, changed, summary)
    db.session.add(revision)
    return revision


def _revision(
    post_id: int, number: int, writer: Writer, data: dict, changed: list[str], summary: str
) -> Revision:
    return Revision(
        post_id=post_id,
        number=number,
        created_at=utcnow(),
        author_name=writer.name[:200],
        author_role=writer.role,
        summary=summary[:1000],
        changed=changed,
        published=data["status"] == "published",
        snapshot=data,
    )


# --- reading ---------------------------------------------------------------------------

_NEWEST_FIRST = (SortKey(Revision.number, descending=True),)


def list_revisions(
    post_id: int, *, limit: int, cursor: str | None, codec: CursorCodec, count: bool = False
) -> Page:
    """A post's revisions, newest first (their snapshots are left out of lists)."""
    query = select(Revision).where(Revision.post_id == post_id)
    return paginate(
        db.session,
        query,
        _NEWEST_FIRST,
        limit=limit,
        cursor=cursor,
        codec=codec,
        key_of=lambda revision: [revision.number],
        count=count,
    )


def find_revision(post_id: int, number: int) -> Revision | None:
    return db.session.scalar(
        select(Revision).where(Revision.post_id == post_id, Revision.number == number)
    )


def diff(old: dict, new: dict, old_label: str, new_label: str) -> dict:
    """A unified diff of the bodies and, field by field, what else changed."""
    body = "".join(
        difflib.unified_diff(
            _lines(old.get("body") or ""),
            _lines(new.get("body") or ""),
            fromfile=old_label,
            tofile=new_label,
        )
    )
    fields = [
        {"field": name, "from": old.get(name), "to": new.get(name)}
        for name in SNAPSHOT_FIELDS
        if name != "body" and old.get(name) != new.get(name)
    ]
    return {"body": body, "fields": fields}


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


# --- retention -------------------------------------------------------------------------


def prune(keep: int, batch: int = 500) -> int:
    """Delete the oldest revisions of every post holding more than `keep`, except the
    newest one that was published (what readers may be seeing). 0 keeps everything."""
    if keep <= 0:
        return 0
    crowded = db.session.scalars(
        select(Revision.post_id).group_by(Revision.post_id).having(func.count() > keep).limit(batch)
    ).all()
    deleted = 0
    for post_id in crowded:
        newest = db.session.scalar(
            select(func.max(Revision.number)).where(Revision.post_id == post_id)
        )
        published = db.session.scalar(
            select(func.max(Revision.number)).where(
                Revision.post_id == post_id, Revision.published.is_(True)
            )
        )
        condition = (Revision.post_id == post_id) & (Revision.number <= newest - keep)
        if published is not None:
            condition &= Revision.number != published
        deleted += db.session.execute(delete(Revision).where(condition)).rowcount
    return deleted
