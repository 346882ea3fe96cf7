"""Fan-out: each recorded event becomes one delivery per active endpoint that wants it.

The webhooks area's handler of every event (api/wiring.py): the event dispatcher runs
it in event order, inside its unit of work, so the delivery rows commit together with
the consumer's cursor. The unique (endpoint, event) row makes a replay after a crash a
no-op.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from api.events import catalogue as events
from api.events.feed import type_matches
from api.infra import unit_of_work
from api.infra.database import db, insert_new_rows
from api.infra.timestamps import utcnow
from api.webhooks.draining import request_drain_after_commit
from api.webhooks.models import WebhookDelivery, WebhookEndpoint


def fan_out(event) -> None:
    if event.type == events.WEBHOOK_TEST.name:  # sent to one endpoint only
        return
    endpoints = unit_of_work.current().remembered("webhooks.active_endpoints", _active_endpoints)
    wanted = [row.id for row in endpoints if type_matches(event.type, row.event_types or [])]
    if not wanted:
        return
    add_deliveries(event.id, event.type, wanted)


def any_active_endpoint() -> bool:
    """Whether fan-out has anyone to tell (shared with `fan_out` in this unit of work)."""
    return bool(unit_of_work.current().remembered("webhooks.active_endpoints", _active_endpoints))


def _active_endpoints() -> list:
    return db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.active.is_(True)
        )
    ).all()


def add_deliveries(event_id: int, event_type: str, endpoint_ids: list[int]) -> None:
    """Insert the (endpoint, event) deliveries that do not exist yet; queue the work
    once they are committed."""
    first_delay = current_app.config["MARGINALIA"].webhook_retry_schedule[0]
    now = utcnow()
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": event_id,
            "event_type": event_type,
            "status": "pending",
            "attempt_count": 0,
            "retry_step": 0,
            "next_attempt_at": now + timedelta(seconds=first_delay),
            "created_at": now,
        }
        for endpoint_id in endpoint_ids
    ]
    insert_new_rows(WebhookDelivery.__table__, rows, unique=["endpoint_id", "event_id"])

    for endpoint_id in endpoint_ids:
        request_drain_after_commit(endpoint_id)
