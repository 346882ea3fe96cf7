from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow

# Outgoing ping to another site: waiting (or waiting for a retry), done, given up, the
# target offers no endpoint, or the post stopped linking it before it was sent.
OUTGOING_STATUSES = ("pending", "sent", "failed", "no_endpoint", "removed")
# Received Webmention: waiting for verification, turned into a pingback entry, refused.
WEBMENTION_STATUSES = ("queued", "accepted", "rejected")


class InternalLink(db.Model):
    """A published post links another post of this site, which got a pingback entry.

    No foreign keys to posts: when a post is deleted its rows are still needed once, to
    trash the entries it caused.
    """

    __tablename__ = "internal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_post_id: Mapped[int] = mapped_column(Integer)
    target_post_id: Mapped[int] = mapped_column(Integer, index=True)
    # The source's URL when the entry was made: the entry is known by it.
    source_url: Mapped[str] = mapped_column(String(2000))
    linked: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "source_post_id", "target_post_id", name="uq_internal_links_source_post_id"
        ),
    )


class OutgoingLinkback(db.Model):
    """A link from one of our posts to another site, and what became of pinging it."""

    __tablename__ = "outgoing_linkbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_post_id: Mapped[int] = mapped_column(Integer)
    target_url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    protocol: Mapped[str | None] = mapped_column(String(20))  # webmention | pingback
    endpoint: Mapped[str | None] = mapped_column(String(2000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("source_post_id", "target_url", name="uq_outgoing_linkbacks_source"),
        Index("ix_outgoing_linkbacks_status_next_attempt_at", "status", "next_attempt_at"),
    )


class ReceivedWebmention(db.Model):
    """A Webmention received for one of our posts, verified later by the worker."""

    __tablename__ = "received_webmentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    source_url: Mapped[str] = mapped_column(String(2000))
    target_url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    result: Mapped[str | None] = mapped_column(String(500))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("target_post_id", "source_url", name="uq_received_webmentions_target"),
        Index("ix_received_webmentions_status_next_attempt_at", "status", "next_attempt_at"),
    )
