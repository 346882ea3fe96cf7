from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY.
EventId = BigInteger().with_variant(Integer, "sqlite")


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict] = mapped_column(JSON)
    # The dependency keys of the public reads it changes, space-separated; None when no
    # anonymous reader can see the change (api/cache/keys.py).
    cache_keys: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_events_type_id", "type", "id"),)

    def payload(self) -> dict:
        return {
            "id": self.id,
            "type": self.type,
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


class EventCursor(db.Model):
    """How far one consumer of the outbox has got."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(EventId, default=0)
