from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow


class MediaItem(db.Model):
    """An uploaded image: its stored files live in the storage backend under `key`."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The folder of its files in the storage (random, so a URL never changes content).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # The file name the files are stored under: the upload's name, made safe.
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))  # jpeg | png | webp
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)  # of the stored full-size file
    # The widths of the smaller copies made for srcset, ascending.
    widths: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
