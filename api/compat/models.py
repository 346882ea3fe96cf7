"""Content API keys: what a Ghost frontend sends as `?key=` (api/compat/ghost_routes.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow


class ContentKey(db.Model):
    """A Ghost-style Content API key: 26 hex characters, shown once when created. Only a
    SHA-256 of it is kept (and its last four characters, to tell keys apart)."""

    __tablename__ = "content_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
