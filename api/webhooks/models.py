"""Endpoints, deliveries and attempts. Delivery state lives here, never in the queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; the events table uses the same.
BigId = BigInteger().with_variant(Integer, "sqlite")

DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookEndpoint(db.Model):
    """A URL that wants to hear about some event types."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    event_types: Mapped[list] = mapped_column(JSON)  # exact types or `comment.*` / `*`
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fernet tokens under a key derived from SECRET_KEY (see crypto.py): a database
    # dump alone does not reveal the signing secrets.
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Start of the current unbroken run of failed attempts (None after any success).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Unreachable or throttling (Retry-After) endpoints are left alone until then.
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker draining this endpoint, so deliveries go out one at a time, in order.
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class WebhookDelivery(db.Model):
    """One event for one endpoint; retried until it succeeds or the schedule runs out."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # Position in the retry schedule of the current run (a manual resend restarts it).
    retry_step: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempts: Mapped[list[WebhookAttempt]] = relationship(
        lazy="selectin", order_by="WebhookAttempt.id", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        # The drain: an endpoint's pending deliveries in event order (and the log by status).
        Index(
            "ix_webhook_deliveries_endpoint_status_event",
            "endpoint_id",
            "status",
            "event_id",
        ),
        # The sweep: what is due, over all endpoints.
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_event_id", "event_id"),
        Index("ix_webhook_deliveries_completed_at", "completed_at"),  # log retention
    )


class WebhookAttempt(db.Model):
    """One HTTP request of a delivery: what the receiver said, or why nothing came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")  # first 2 KB
    error: Mapped[str | None] = mapped_column(String(500))
