"""Webhook endpoints and their delivery log: the admin's use cases (request side).

Nothing here talks to a receiver: these functions write rows in the caller's unit of
work and ask for a drain once it has committed; the worker sends
(api/webhooks/delivery.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from api.errors import Conflict, InvalidInput, NotFound
from api.events import catalogue as events
from api.events.outbox import record_event_now
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.outbound import OutboundError, OutboundPolicy, check_url
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.rows import as_data, continue_ids, from_data
from api.infra.timestamps import utcnow
from api.webhooks.crypto import generate_secret, seal
from api.webhooks.draining import request_drain_after_commit
from api.webhooks.models import WebhookDelivery, WebhookEndpoint

Precondition = Callable[[WebhookEndpoint], None] | None
_MAX_ID = 2**31 - 1
_MAX_BIG_ID = 2**63 - 1


def checked_url(url: str) -> str:
    """The URL, if the guarded client's rules would let us POST to it (422 otherwise)."""
    settings = current_app.config["MARGINALIA"]
    try:
        check_url(url, OutboundPolicy(allow_private=settings.allow_private_targets))
    except OutboundError as exc:
        raise InvalidInput(
            errors={"url": [f"Deliveries cannot go there: {exc.message}."]}
        ) from None
    return url


def _unique(patterns: list[str]) -> list[str]:
    return list(dict.fromkeys(patterns))


# --- endpoints --------------------------------------------------------------------------


def create_endpoint(data: dict) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned once; stored encrypted)."""
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        url=checked_url(data["url"]),
        event_types=_unique(data["event_types"]),
        description=data.get("description", ""),
        active=data.get("active", True),
        secret_ciphertext=seal(secret, current_app.config["SECRET_KEY"]),
    )
    if not endpoint.active:
        endpoint.disabled_reason, endpoint.disabled_at = "created inactive", utcnow()
    db.session.add(endpoint)
    return endpoint, secret


def list_endpoints(
    *, limit: int, cursor: str | None, codec: CursorCodec, count: bool = False
) -> Page:
    return paginate(
        db.session,
        select(WebhookEndpoint),
        [SortKey(WebhookEndpoint.id)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda endpoint: [endpoint.id],
    )


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) if endpoint_id <= _MAX_ID else None
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


def update_endpoint(endpoint_id: int, changes: dict, precondition: Precondition) -> WebhookEndpoint:
    endpoint = _locked(endpoint_id, precondition)
    send_now = False
    if "url" in changes and changes["url"] != endpoint.url:
        # A new address gets a fresh chance: what waited on the old one goes out now.
        endpoint.url = checked_url(changes["url"])
        send_now = True
    if "event_types" in changes:
        endpoint.event_types = _unique(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "active" in changes and changes["active"] != endpoint.active:
        if changes["active"]:
            # Re-enabled: a clean slate, and deliveries still pending go out now.
            endpoint.active = True
            endpoint.disabled_reason = endpoint.disabled_at = endpoint.failing_since = None
            send_now = True
        else:
            endpoint.active = False
            endpoint.disabled_reason, endpoint.disabled_at = "disabled by an admin", utcnow()
    endpoint.updated_at = utcnow()
    _flush()
    if send_now:
        _send_pending_now(endpoint)
    return endpoint


def delete_endpoint(endpoint_id: int, precondition: Precondition) -> None:
    """Delete an endpoint with its deliveries and their log."""
    endpoint = _locked(endpoint_id, precondition)
    db.session.delete(endpoint)
    _flush()


def rotate_secret(endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one keeps signing (a second signature) during the overlap."""
    endpoint = _locked(endpoint_id, None)
    overlap = current_app.config["MARGINALIA"].webhook_secret_overlap
    secret = generate_secret()
    now = utcnow()
    if overlap > 0:
        endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
        endpoint.previous_secret_expires_at = now + timedelta(seconds=overlap)
    else:
        endpoint.previous_secret_ciphertext = endpoint.previous_secret_expires_at = None
    endpoint.secret_ciphertext = seal(secret, current_app.config["SECRET_KEY"])
    endpoint.updated_at = now
    _flush()
    return endpoint, secret


def send_test(endpoint_id: int) -> WebhookDelivery:
    """Record a `webhook.test` event and deliver it to this endpoint only."""
    endpoint = _locked(endpoint_id, None)
    _ensure_active(endpoint)
    event = record_event_now(
        events.WEBHOOK_TEST,
        {"endpoint_id": endpoint.id, "message": "A test delivery from Marginalia."},
    )
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=event.id,
        event_type=events.WEBHOOK_TEST.name,
        status="pending",
        next_attempt_at=utcnow(),
    )
    db.session.add(delivery)
    endpoint.backoff_until = None  # an admin asked for a try now
    request_drain_after_commit(endpoint.id)
    return delivery


# --- the delivery log -------------------------------------------------------------------


def list_deliveries(
    endpoint_id: int,
    status: str | None,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
) -> Page:
    """An endpoint's deliveries, newest event first."""
    get_endpoint(endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    return paginate(
        db.session,
        query,
        [SortKey(WebhookDelivery.event_id, descending=True)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda delivery: [delivery.event_id],
    )


def list_event_deliveries(
    event_id: int,
    status: str | None,
    *,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    count: bool = False,
) -> Page:
    """Every endpoint's delivery of one event."""
    query = select(WebhookDelivery).where(WebhookDelivery.event_id == min(event_id, _MAX_BIG_ID))
    if status:
        query = query.where(WebhookDelivery.status == status)
    return paginate(
        db.session,
        query,
        [SortKey(WebhookDelivery.id)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda delivery: [delivery.id],
    )


def get_delivery(endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = None
    if endpoint_id <= _MAX_ID and delivery_id <= _MAX_BIG_ID:
        delivery = db.session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
            )
        )
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id} for webhook endpoint {endpoint_id}.")
    return delivery


def resend_delivery(endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now, whatever its state, with a fresh retry schedule."""
    endpoint = _locked(endpoint_id, None)
    _ensure_active(endpoint)
    delivery = get_delivery(endpoint_id, delivery_id)
    now = utcnow()
    if delivery.status != "pending":
        delivery.status, delivery.retry_step, delivery.completed_at = "pending", 0, None
    delivery.next_attempt_at = now
    endpoint.backoff_until = None
    request_drain_after_commit(endpoint.id)
    return delivery


def resend_failed(endpoint_id: int, since: datetime) -> int:
    """Requeue every failed delivery of this endpoint created since `since`."""
    endpoint = _locked(endpoint_id, None)
    _ensure_active(endpoint)
    resent = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == "failed",
            WebhookDelivery.created_at >= since,
        )
        .values(status="pending", retry_step=0, completed_at=None, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    endpoint.backoff_until = None
    if resent:
        request_drain_after_commit(endpoint.id)
    return resent


# --- rules ------------------------------------------------------------------------------


def _locked(endpoint_id: int, precondition: Precondition) -> WebhookEndpoint:
    endpoint = None
    if endpoint_id <= _MAX_ID:
        endpoint = db.session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).with_for_update()
        )
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    if precondition:
        precondition(endpoint)
    return endpoint


def _send_pending_now(endpoint: WebhookEndpoint) -> None:
    """Everything still pending for this endpoint is due now (fixed URL, re-enabled)."""
    now = utcnow()
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    endpoint.backoff_until = None
    request_drain_after_commit(endpoint.id)


def _ensure_active(endpoint: WebhookEndpoint) -> None:
    if not endpoint.active:
        raise Conflict("The endpoint is disabled; re-enable it (PATCH active: true) first.")


def _flush() -> None:
    unit_of_work.flush(stale="The endpoint changed meanwhile; fetch it again and retry.")


# --- export and restore (`marginalia export`, `marginalia import marginalia`) ------------

# Secrets never leave (an export gets copied around); delivery state is of this database.
_NOT_EXPORTED = (
    "secret_ciphertext",
    "previous_secret_ciphertext",
    "previous_secret_expires_at",
    "failing_since",
    "backoff_until",
    "lease_owner",
    "lease_until",
)


def export_endpoints():
    for endpoint in db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)):
        yield as_data(endpoint, exclude=_NOT_EXPORTED)


def restore_endpoint(data: dict) -> None:
    """An exported endpoint back, with a new secret (an admin rotates it to read it)."""
    endpoint = from_data(WebhookEndpoint, data, exclude=_NOT_EXPORTED)
    endpoint.url = checked_url(endpoint.url)
    endpoint.secret_ciphertext = seal(generate_secret(), current_app.config["SECRET_KEY"])
    db.session.add(endpoint)
    db.session.flush()


def restored_endpoints() -> None:
    continue_ids(WebhookEndpoint)
