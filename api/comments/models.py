from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.extensions import db
from api.types import UTCDateTime, utcnow

COMMENT_TYPES = ("comment", "pingback")
COMMENT_STATUSES = ("pending", "approved", "spam", "trash")


class Comment(db.Model):
    """A comment or a pingback on a post; only `approved` ones are ever public."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[str] = mapped_column(String(20), default="comment")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    body: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised when saved; for pingbacks, the excerpt around the link.
    body_html: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_email: Mapped[str | None] = mapped_column(String(320))
    author_url: Mapped[str | None] = mapped_column(String(2000))
    # OIDC commenters are (issuer, subject); anonymous ones have neither.
    identity_issuer: Mapped[str | None] = mapped_column(String(500))
    identity_subject: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # Pingbacks: where the link came from.
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_title: Mapped[str | None] = mapped_column(String(500))
    # The verdicts of the intake rules: [{"rule", "verdict", "reason"}].
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    edit_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One pingback per (target post, source URL); comments have no source, and
        # NULLs never collide.
        UniqueConstraint("post_id", "source_url", name="uq_comments_post_id_source_url"),
        Index("ix_comments_post_id_status_created_at_id", "post_id", "status", "created_at", "id"),
        Index("ix_comments_status_created_at_id", "status", "created_at", "id"),
    )
