"""What the imports remember: the source id of every record they wrote (or matched)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow


class SourceRecord(db.Model):
    """`source` names the export (`wordpress:https://example.org`), `kind` the kind of
    record there (post, page, comment, category, tag, ...), `source_id` its id there;
    `target_id` is the row here (a post, comment, author or tag id) and `fingerprint` a
    hash of what was imported, so an unchanged record is left alone on a second run."""

    __tablename__ = "transfer_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(300))
    target_id: Mapped[int] = mapped_column()
    fingerprint: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "kind", "source_id", name="uq_transfer_sources_key"),
    )
