from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow

POST_STATUSES = ("draft", "scheduled", "published")
# Posts and static pages share one table, as WordPress and Ghost store them; slugs are
# unique across both, so one slug names one thing (and one old slug one redirect).
POST_TYPES = ("post", "page")
# Ghost's content fields: plain columns a write sets as given (None clears them), and
# a revision keeps and restores.
CONTENT_FIELDS = (
    "feature_image",
    "feature_image_alt",
    "feature_image_caption",
    "featured",
    "meta_title",
    "meta_description",
    "og_image",
    "og_title",
    "og_description",
    "twitter_image",
    "twitter_title",
    "twitter_description",
    "canonical_url",
    "visibility",
)
VISIBILITIES = ("public",)

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Author(db.Model):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    bio: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(2000))
    avatar_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised once, when saved, so reads never run Markdown.
    body_html: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    # Derived from the body when saved; served when no excerpt was written.
    auto_excerpt: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the worker takes a published post back to draft (api/content/tasks.py).
    unpublish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="RESTRICT"), index=True
    )
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Approved comments and pingbacks; kept by the comments area through its services.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(10), default="post", server_default="post")
    # Ghost's content fields, by Ghost's names and lengths.
    feature_image: Mapped[str | None] = mapped_column(String(2000))
    feature_image_alt: Mapped[str | None] = mapped_column(String(191))
    feature_image_caption: Mapped[str | None] = mapped_column(Text)
    featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    meta_title: Mapped[str | None] = mapped_column(String(300))
    meta_description: Mapped[str | None] = mapped_column(String(500))
    og_image: Mapped[str | None] = mapped_column(String(2000))
    og_title: Mapped[str | None] = mapped_column(String(300))
    og_description: Mapped[str | None] = mapped_column(String(500))
    twitter_image: Mapped[str | None] = mapped_column(String(2000))
    twitter_title: Mapped[str | None] = mapped_column(String(300))
    twitter_description: Mapped[str | None] = mapped_column(String(500))
    canonical_url: Mapped[str | None] = mapped_column(String(2000))
    # Minutes, computed when saved from the body and the images (Ghost's formula).
    reading_time: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    visibility: Mapped[str] = mapped_column(String(20), default="public", server_default="public")

    author: Mapped[Author] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, lazy="selectin", order_by="Tag.slug"
    )

    __mapper_args__ = {"version_id_col": version}
    # One index per listing order (and the featured filter), each led by the type and
    # status every public listing names (tests/integration/test_query_plans.py).
    __table_args__ = (
        Index("ix_posts_type_status_published_at_id", "type", "status", "published_at", "id"),
        Index("ix_posts_type_status_updated_at_id", "type", "status", "updated_at", "id"),
        Index("ix_posts_type_status_title_id", "type", "status", "title", "id"),
        Index(
            "ix_posts_type_status_featured_published_at_id",
            "type",
            "status",
            "featured",
            "published_at",
            "id",
        ),
        Index("ix_posts_type_created_at_id", "type", "created_at", "id"),
    )

    @property
    def is_public(self) -> bool:
        return self.status == "published"


class PreviousSlug(db.Model):
    """A slug a post or page had before: its old URL still names it (301 to the current
    one; linkbacks match links to it)."""

    __tablename__ = "previous_slugs"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Revision(db.Model):
    """One version of a post or page, stored by the content services in the transaction
    that wrote it (api/content/revisions.py). `number` counts a post's versions from 1."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who wrote it: a staff token's name and role, or "system: importer" / "system".
    author_name: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(1000))
    changed: Mapped[list] = mapped_column(JSON)
    # Whether the post was published in this version (pruning always keeps the newest such).
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("post_id", "number"),)


class PendingDraft(db.Model):
    """Changes to a published post that readers do not see until they are published
    (by a staff member, or by the worker at `publish_at`)."""

    __tablename__ = "post_drafts"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    changes: Mapped[dict] = mapped_column(JSON)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by_name: Mapped[str] = mapped_column(String(200))
    saved_by_role: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PreviewLink(db.Model):
    """A signed, expiring link that shows an unpublished version of a post to whoever
    holds it. The token names this row; deleting the row revokes it."""

    __tablename__ = "preview_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    # Random, in the signed token too: a guessed or reused row id names nothing.
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    revision: Mapped[int | None] = mapped_column(Integer)  # None: the current or pending draft
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
