"""Authors and tags: create, read, update, delete, with published post counts."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from api.auth.policy import Actor, Permission, ensure
from api.cache import keys as cache_keys
from api.content.models import Author, Post, Tag, post_tags
from api.content.slugs import unique_slug
from api.errors import NotFound
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.timestamps import utcnow

Precondition = Callable[[object], None] | None

AUTHOR_FIELDS = ("name", "slug", "bio", "email", "website", "avatar_url")
TAG_FIELDS = ("name", "slug", "description")
PRIVATE_FIELDS = ("email",)  # shown to staff only


def author_data(author: Author) -> dict:
    """The author as events carry it: public fields only."""
    return {"id": author.id, "slug": author.slug, "name": author.name}


def tag_data(tag: Tag) -> dict:
    return {"id": tag.id, "slug": tag.slug, "name": tag.name}


class _Taxonomy:
    """Shared rules of authors and tags: slugged, counted, evented resources."""

    def __init__(
        self,
        model,
        kind: str,
        fields: tuple[str, ...],
        to_event: Callable,
        recorded: tuple[events.EventType, events.EventType, events.EventType],
    ):
        self.model, self.kind, self.fields = model, kind, fields
        self.to_event = to_event
        self.created_event, self.updated_event, self.deleted_event = recorded

    def list(
        self, *, limit: int, cursor: str | None, codec: CursorCodec, count: bool = False
    ) -> Page:
        keys = [SortKey(self.model.slug, kind="str")]
        page = paginate(
            db.session,
            select(self.model),
            keys,
            limit=limit,
            cursor=cursor,
            codec=codec,
            count=count,
            key_of=lambda row: [row.slug],
        )
        self.attach_counts(page.items)
        return page

    def get(self, slug: str):
        item = db.session.scalar(select(self.model).where(self.model.slug == slug))
        if item is None:
            raise NotFound(f"No {self.kind} with slug {slug!r}.")
        self.attach_counts([item])
        return item

    def slug_of(self, item_id: int) -> str | None:
        """The slug of the author or tag with this id; None when there is none."""
        return db.session.scalar(select(self.model.slug).where(self.model.id == item_id))

    def attach_counts(self, items) -> None:
        if not items:
            return
        ids = [item.id for item in items]
        published = (Post.type == "post") & (Post.status == "published")  # pages not counted
        if self.model is Author:
            query = (
                select(Post.author_id, func.count())
                .where(published, Post.author_id.in_(ids))
                .group_by(Post.author_id)
            )
        else:
            query = (
                select(post_tags.c.tag_id, func.count())
                .join(Post, Post.id == post_tags.c.post_id)
                .where(published, post_tags.c.tag_id.in_(ids))
                .group_by(post_tags.c.tag_id)
            )
        counts = dict(db.session.execute(query).all())
        for item in items:
            item.post_count = counts.get(item.id, 0)

    def create(self, actor: Actor | None, data: dict):
        ensure(actor, Permission.WRITE_TAXONOMY)
        item = self.model(**{k: v for k, v in data.items() if k in self.fields})
        if not data.get("slug"):
            item.slug = unique_slug(self.model, data["name"], self.kind)
        db.session.add(item)
        self._flush_unique(item.slug)
        record_event(self.created_event, {self.kind: self.to_event(item)}, self._keys(item))
        item.post_count = 0
        return item

    def update(self, actor: Actor | None, slug: str, changes: dict, precondition: Precondition):
        ensure(actor, Permission.WRITE_TAXONOMY)
        item = self._locked(slug, precondition)
        for name, value in changes.items():
            if name in self.fields:
                setattr(item, name, value)
        # A staff-only field (an author's email) changes nothing anonymous readers see,
        # not even `updated_at`: its event carries no cache key.
        public = any(name in self.fields and name not in PRIVATE_FIELDS for name in changes)
        if public:
            item.updated_at = utcnow()
        self._flush_unique(item.slug)
        record_event(
            self.updated_event,
            {self.kind: self.to_event(item), "previous_slug": slug},
            self._keys(item) if public else (),
        )
        self.attach_counts([item])
        return item

    def delete(self, actor: Actor | None, slug: str, precondition: Precondition) -> None:
        ensure(actor, Permission.WRITE_TAXONOMY)
        item = self._locked(slug, precondition)
        data = self.to_event(item)
        db.session.delete(item)
        unit_of_work.flush(
            conflict=f"This {self.kind} still has posts; move or delete them first.",
            stale=f"The {self.kind} changed meanwhile; retry.",
        )
        record_event(self.deleted_event, {self.kind: data}, self._keys(item))

    def _keys(self, item) -> tuple[str, str]:
        """Cache keys of a change: the item, and its collection (which lists it)."""
        if self.model is Author:
            return cache_keys.author(item.id), cache_keys.AUTHORS
        return cache_keys.tag(item.id), cache_keys.TAGS

    def _locked(self, slug: str, precondition: Precondition):
        item = db.session.scalar(
            select(self.model).where(self.model.slug == slug).with_for_update()
        )
        if item is None:
            raise NotFound(f"No {self.kind} with slug {slug!r}.")
        self.attach_counts([item])
        if precondition:
            precondition(item)
        return item

    def _flush_unique(self, slug: str) -> None:
        unit_of_work.flush(
            conflict=f"The slug {slug!r} is taken by another {self.kind}.",
            stale=f"The {self.kind} changed meanwhile; retry.",
        )


authors = _Taxonomy(
    Author,
    "author",
    AUTHOR_FIELDS,
    author_data,
    (events.AUTHOR_CREATED, events.AUTHOR_UPDATED, events.AUTHOR_DELETED),
)
tags = _Taxonomy(
    Tag, "tag", TAG_FIELDS, tag_data, (events.TAG_CREATED, events.TAG_UPDATED, events.TAG_DELETED)
)


def author_id_for_slug(slug: str) -> int:
    author_id = db.session.scalar(select(Author.id).where(Author.slug == slug))
    if author_id is None:
        raise NotFound(f"No author with slug {slug!r}.")
    return author_id
