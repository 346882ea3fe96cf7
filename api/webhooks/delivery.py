"""Draining an endpoint's due deliveries: the worker side of webhooks.

One worker at a time holds an endpoint's *lease* (a conditional UPDATE, so it is atomic
on SQLite and PostgreSQL alike) and sends that endpoint's due deliveries in event-id
order. That is what keeps a healthy endpoint's deliveries in event order, and what
keeps two workers from ever sending the same attempt at once. The lease expires on its
own (a few request timeouts) when its worker dies, and is renewed while it works.

Results are written in small groups, each group one transaction (attempt rows, delivery
state, endpoint health, lease renewal). A worker killed between a send and the group's
commit loses those results, and the lease expiry hands the deliveries to another
worker, which sends them again with the same `webhook-id`: at least once, never lost.
No transaction is open while a request is on the wire: each step that writes is a
unit of work of its own, and reads end before the network is used.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, insert, or_, select, update

from api.errors import Conflict
from api.events.feed import events_by_id
from api.events.schemas import EventSchema
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import end_reads, unit_of_work
from api.webhooks.crypto import SecretUnreadable, signing_key, unseal
from api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.webhooks.retry import Result, Verdict, judge
from api.webhooks.sender import Sent, client_for, delivery_policy, render_body, send

log = logging.getLogger(__name__)
_event_schema = EventSchema()

FLUSH_EVERY = 25  # results per transaction at most ...
FLUSH_SECONDS = 0.25  # ... and at least this often


@dataclass(frozen=True)
class DeliveryConfig:
    schedule: tuple[float, ...]
    timeout: float
    disable_after: float
    allow_private: bool
    secret_key: str
    batch_size: int = 100

    @classmethod
    def current(cls) -> DeliveryConfig:
        settings = current_app.config["MARGINALIA"]
        return cls(
            schedule=tuple(settings.webhook_retry_schedule),
            timeout=settings.webhook_timeout,
            disable_after=settings.webhook_disable_after,
            allow_private=settings.allow_private_targets,
            secret_key=current_app.config["SECRET_KEY"],
        )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=3 * self.timeout + 1)

    @property
    def renew_below(self) -> timedelta:
        """Renew the lease before a send when less than this is left of it."""
        return timedelta(seconds=2 * self.timeout)


@dataclass
class DrainReport:
    attempts: int = 0
    delivered: int = 0
    wake_at: datetime | None = None  # when this endpoint next has something due


def payload(event) -> dict:
    """What a delivery carries: exactly the event as GET /v1/events lists it."""
    return _event_schema.dump(event)


def drain_endpoint(endpoint_id: int, config: DeliveryConfig | None = None) -> DrainReport:
    """Send everything due for one endpoint, in event order; a no-op if another worker
    holds it. Returns what happened and when the endpoint next has work."""
    config = config or DeliveryConfig.current()
    owner = secrets.token_hex(8)
    report = DrainReport()
    acquired = False
    while _acquire(endpoint_id, owner, config):
        acquired = True
        try:
            emptied = _drain_leased(endpoint_id, owner, config, report)
        finally:
            end_reads()
            _release(endpoint_id, owner)
        # A delivery committed while we held the lease may have seen it busy and left
        # the work to us: look once more after letting go.
        if not emptied or not _has_due(endpoint_id):
            break
    if acquired:  # a busy endpoint's holder (or, if it died, the sweep) wakes it
        wake_at = next_wake(endpoint_id)
        report.wake_at = wake_at if wake_at and wake_at > utcnow() else None
    return report


def _acquire(endpoint_id: int, owner: str, config: DeliveryConfig) -> bool:
    now = utcnow()
    with unit_of_work():
        taken = db.session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id == endpoint_id,
                WebhookEndpoint.active.is_(True),
                or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
                or_(
                    WebhookEndpoint.backoff_until.is_(None),
                    WebhookEndpoint.backoff_until <= now,
                ),
            )
            .values(lease_owner=owner, lease_until=now + config.lease)
            .execution_options(synchronize_session=False)
        ).rowcount
    return taken == 1


def _release(endpoint_id: int, owner: str) -> None:
    with unit_of_work():
        db.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def _due(endpoint_id: int, now: datetime):
    return and_(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now,
    )


def _has_due(endpoint_id: int) -> bool:
    found = db.session.scalar(select(exists().where(_due(endpoint_id, utcnow()))))
    end_reads()
    return bool(found)


def next_wake(endpoint_id: int) -> datetime | None:
    """When this endpoint next has a delivery due (not before its backoff), if ever."""
    soonest = db.session.scalar(
        select(func.min(WebhookDelivery.next_attempt_at)).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending"
        )
    )
    endpoint = db.session.execute(
        select(WebhookEndpoint.active, WebhookEndpoint.backoff_until).where(
            WebhookEndpoint.id == endpoint_id
        )
    ).one_or_none()
    end_reads()
    if soonest is None or endpoint is None or not endpoint.active:
        return None
    if endpoint.backoff_until is not None:
        soonest = max(soonest, _aware(endpoint.backoff_until))
    return _aware(soonest)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _drain_leased(endpoint_id: int, owner: str, config: DeliveryConfig, report) -> bool:
    """Send batches until nothing is due (True) or we must stop (False)."""
    lease_until = utcnow() + config.lease
    client = client_for(delivery_policy(config.allow_private, config.timeout))
    while True:
        endpoint = db.session.execute(
            select(
                WebhookEndpoint.url,
                WebhookEndpoint.active,
                WebhookEndpoint.secret_ciphertext,
                WebhookEndpoint.previous_secret_ciphertext,
                WebhookEndpoint.previous_secret_expires_at,
            ).where(WebhookEndpoint.id == endpoint_id)
        ).one_or_none()
        if endpoint is None or not endpoint.active:
            end_reads()
            return False
        due = db.session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.event_id,
                WebhookDelivery.attempt_count,
                WebhookDelivery.retry_step,
            )
            .where(_due(endpoint_id, utcnow()))
            .order_by(WebhookDelivery.event_id)
            .limit(config.batch_size)
        ).all()
        if not due:
            end_reads()
            return True
        events = events_by_id(d.event_id for d in due)
        bodies = {event_id: render_body(payload(e)) for event_id, e in events.items()}
        end_reads()  # no transaction stays open across the network I/O below
        keys, key_error = _signing_keys(endpoint, config)
        batch = _Batch(endpoint_id, owner, config)
        for delivery in due:
            if lease_until - utcnow() < config.renew_below:
                lease_until = batch.flush()
                if lease_until is None:
                    return False
            attempted_at = utcnow()
            body = bodies.get(delivery.event_id)
            if body is None:
                sent, verdict = None, Verdict(False, "the event no longer exists", None)
            else:
                if key_error:
                    sent = Sent(Result(None, error=key_error), 0, "")
                else:
                    sent = send(client, endpoint.url, str(delivery.event_id), body, keys)
                verdict = judge(sent.result, delivery.retry_step, config.schedule)
            batch.add(delivery, attempted_at, sent, verdict)
            report.attempts += 1
            report.delivered += verdict.delivered
            if verdict.disable_endpoint or verdict.endpoint_backoff is not None:
                batch.flush()
                return False
            if batch.full():
                lease_until = batch.flush()
                if lease_until is None:
                    return False
        lease_until = batch.flush()
        if lease_until is None:
            return False


def _signing_keys(endpoint, config: DeliveryConfig) -> tuple[list[bytes], str | None]:
    try:
        keys = [signing_key(unseal(endpoint.secret_ciphertext, config.secret_key))]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret_ciphertext and expires and expires > utcnow():
            keys.append(signing_key(unseal(endpoint.previous_secret_ciphertext, config.secret_key)))
    except SecretUnreadable as exc:
        log.error("webhook endpoint secret unreadable: %s", exc)
        return [], f"signing: {exc}"
    return keys, None


@dataclass
class _Outcome:
    delivery: object
    attempted_at: datetime
    sent: Sent | None
    verdict: Verdict


@dataclass
class _Batch:
    """Results not yet written; `flush` writes them in one transaction."""

    endpoint_id: int
    owner: str
    config: DeliveryConfig
    outcomes: list[_Outcome] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)

    def add(self, delivery, attempted_at: datetime, sent: Sent | None, verdict: Verdict):
        self.outcomes.append(_Outcome(delivery, attempted_at, sent, verdict))

    def full(self) -> bool:
        return len(self.outcomes) >= FLUSH_EVERY or time.monotonic() - self.since >= FLUSH_SECONDS

    def flush(self) -> datetime | None:
        """Write the results and renew the lease; None if the lease is no longer ours
        (expired and taken, endpoint disabled or deleted): the caller stops."""
        now = utcnow()
        lease_until = now + self.config.lease
        try:
            with unit_of_work():
                # A write first: on SQLite this takes the write lock before any read.
                renewed = db.session.execute(
                    update(WebhookEndpoint)
                    .where(
                        WebhookEndpoint.id == self.endpoint_id,
                        WebhookEndpoint.lease_owner == self.owner,
                        WebhookEndpoint.active.is_(True),
                    )
                    .values(lease_until=lease_until)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if self.outcomes:
                    db.session.execute(
                        insert(WebhookAttempt), [self._attempt(o) for o in self.outcomes]
                    )
                    db.session.execute(
                        update(WebhookDelivery), [self._delivery(o, now) for o in self.outcomes]
                    )
                    self._record_health(now)
        except Conflict:
            return None  # the endpoint (and its deliveries) was deleted
        self.outcomes = []
        self.since = time.monotonic()
        return lease_until if renewed else None

    @staticmethod
    def _attempt(outcome: _Outcome) -> dict:
        sent = outcome.sent
        return {
            "delivery_id": outcome.delivery.id,
            "number": outcome.delivery.attempt_count + 1,
            "attempted_at": outcome.attempted_at,
            "status_code": sent.result.status_code if sent else None,
            "duration_ms": sent.duration_ms if sent else 0,
            "response_excerpt": sent.excerpt if sent else "",
            "error": outcome.verdict.error,
        }

    @staticmethod
    def _delivery(outcome: _Outcome, now: datetime) -> dict:
        verdict, delivery = outcome.verdict, outcome.delivery
        retrying = not verdict.delivered and verdict.delay is not None
        status = "succeeded" if verdict.delivered else ("pending" if retrying else "failed")
        return {
            "id": delivery.id,
            "status": status,
            "attempt_count": delivery.attempt_count + 1,
            "retry_step": delivery.retry_step + 1 if retrying else delivery.retry_step,
            "next_attempt_at": (
                outcome.attempted_at + timedelta(seconds=verdict.delay) if retrying else None
            ),
            "last_attempt_at": outcome.attempted_at,
            "last_status_code": outcome.sent.result.status_code if outcome.sent else None,
            "last_error": verdict.error,
            "completed_at": None if retrying else now,
        }

    def _record_health(self, now: datetime) -> None:
        """Endpoint bookkeeping: the failing streak, backoff, and disabling."""
        outcomes = self.outcomes
        last_ok = max((i for i, o in enumerate(outcomes) if o.verdict.delivered), default=-1)
        failures = [o.attempted_at for o in outcomes[last_ok + 1 :] if not o.verdict.delivered]
        values: dict = {}
        if last_ok >= 0:
            failing_since = failures[0] if failures else None
            values["failing_since"] = failing_since
        else:
            failing_since = (
                db.session.scalar(
                    select(WebhookEndpoint.failing_since).where(
                        WebhookEndpoint.id == self.endpoint_id
                    )
                )
                or failures[0]
            )
            values["failing_since"] = failing_since
        last = outcomes[-1].verdict
        if last.endpoint_backoff is not None:
            values["backoff_until"] = now + timedelta(seconds=last.endpoint_backoff)
        reason = next(
            (o.verdict.disable_endpoint for o in outcomes if o.verdict.disable_endpoint), None
        )
        too_long = timedelta(seconds=self.config.disable_after)
        if reason is None and failing_since is not None and now - failing_since >= too_long:
            reason = failing_reason(failing_since)
        if reason:
            log.warning("disabling webhook endpoint %s: %s", self.endpoint_id, reason)
            values.update(
                active=False,
                disabled_reason=reason,
                disabled_at=now,
                updated_at=now,
                version=WebhookEndpoint.version + 1,
            )
        db.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == self.endpoint_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def failing_reason(since: datetime) -> str:
    stamp = since.isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"every delivery attempt has failed since {stamp}"


# --- the sweep and housekeeping ---------------------------------------------------------


def due_endpoints() -> list[tuple[int, datetime | None]]:
    """Active endpoints with something due now, and who holds them (lease expiry)."""
    now = utcnow()
    rows = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.lease_until)
        .where(
            WebhookEndpoint.active.is_(True),
            or_(WebhookEndpoint.backoff_until.is_(None), WebhookEndpoint.backoff_until <= now),
            exists().where(_due(WebhookEndpoint.id, now)),
        )
        .order_by(WebhookEndpoint.id)
    ).all()
    end_reads()
    return [(row.id, row.lease_until) for row in rows]


def disable_failing_endpoints(config: DeliveryConfig | None = None) -> int:
    """Disable endpoints whose every attempt has failed for the configured period."""
    config = config or DeliveryConfig.current()
    now = utcnow()
    cutoff = now - timedelta(seconds=config.disable_after)
    with unit_of_work():
        failing = db.session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.failing_since).where(
                WebhookEndpoint.active.is_(True), WebhookEndpoint.failing_since <= cutoff
            )
        ).all()
        for endpoint_id, since in failing:
            log.warning("disabling webhook endpoint %s: failing since %s", endpoint_id, since)
            db.session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
                .values(
                    active=False,
                    disabled_reason=failing_reason(since),
                    disabled_at=now,
                    updated_at=now,
                    version=WebhookEndpoint.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
    return len(failing)


def purge_log(retention_days: int | None = None) -> int:
    """Forget attempts and finished deliveries older than the retention period."""
    if retention_days is None:
        retention_days = current_app.config["MARGINALIA"].webhook_log_retention_days
    cutoff = utcnow() - timedelta(days=retention_days)
    with unit_of_work():
        removed = db.session.execute(
            delete(WebhookAttempt)
            .where(WebhookAttempt.attempted_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
        removed += db.session.execute(
            delete(WebhookDelivery)
            .where(WebhookDelivery.status != "pending", WebhookDelivery.completed_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
    return removed
