from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow


class ModerationLogEntry(db.Model):
    """One decision on a comment: who, when, from which status to which, and why.

    Append-only. `comment_id` is a plain integer, not a foreign key, so the trail
    outlives the comment (a purge, a deleted post); the actor is copied for the same
    reason. Automatic decisions (purge, a removed link) have no token: role `system`.
    """

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(Integer)
    post_id: Mapped[int | None] = mapped_column(Integer)
    actor_token_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    # A status, or "purged" when the purge deleted the comment.
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    batch_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_moderation_log_comment_id_id", "comment_id", "id"),
        Index("ix_moderation_log_batch_id_id", "batch_id", "id"),
        Index("ix_moderation_log_actor_name_id", "actor_name", "id"),
    )
