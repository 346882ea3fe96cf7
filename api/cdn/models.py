"""The purge log: one row per event whose keys the CDN or Varnish must drop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow

PURGE_STATUSES = ("pending", "done", "failed")
PurgeId = BigInteger().with_variant(Integer, "sqlite")


class CdnPurge(db.Model):
    __tablename__ = "cdn_purges"

    id: Mapped[int] = mapped_column(PurgeId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(PurgeId, unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    keys: Mapped[str] = mapped_column(Text)  # space-separated, as events.cache_keys
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_result: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_cdn_purges_status_next", "status", "next_attempt_at"),)

    @property
    def key_list(self) -> list[str]:
        return self.keys.split()
