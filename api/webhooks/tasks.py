"""Webhook work for the queue. The queue only says "endpoint N may have work": what is
due is always read from the database, so a lost message costs a delay, never a delivery.

* `deliver_webhooks(endpoint_id)` drains one endpoint; it is queued after fan-out,
  a test send or a resend commits, and scheduled for the next retry time.
* `sweep_webhooks` (every minute, and at worker start) finds due deliveries whose
  message was lost (Redis flush, crash between commit and enqueue, killed worker) and
  hands endpoints held by a dead worker to a live one once the lease runs out.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from huey import crontab
from huey.constants import EmptyData

from api.infra.queue import app_periodic_task, app_task, every_minute, huey
from api.infra.timestamps import utcnow
from api.webhooks import delivery
from api.webhooks import fanout as fanout  # registers the outbox consumer

log = logging.getLogger(__name__)
_PENDING = "marginalia:webhook-drain:{}"  # "a drain of this endpoint is already queued"
_WAKE = "marginalia:webhook-wake:{}"  # when a scheduled drain of this endpoint will run


@app_task()
def deliver_webhooks(endpoint_id: int) -> int:
    """Send what is due for one endpoint (in event order)."""
    _forget_request(endpoint_id)
    report = delivery.drain_endpoint(endpoint_id)
    if report.wake_at is not None:
        schedule_drain(endpoint_id, report.wake_at)
    return report.attempts


@app_periodic_task(every_minute())
def sweep_webhooks() -> int:
    """The safety net: drain every endpoint with due deliveries nobody is working on."""
    return sweep()


@app_periodic_task(crontab(minute="17"))
def purge_webhook_log() -> int:
    """Drop attempts and finished deliveries older than the retention period."""
    return delivery.purge_log()


def sweep() -> int:
    """Disable endpoints failing too long, then get every due endpoint drained: inline
    in immediate mode (tests call this directly), through the queue otherwise."""
    delivery.disable_failing_endpoints()
    now = utcnow()
    attempts = 0
    for endpoint_id, lease_until in delivery.due_endpoints():
        if lease_until is not None and lease_until > now:
            # Held: a live worker renews it and finishes the job; if that worker died,
            # this wakes a live one just after the lease runs out.
            schedule_drain(endpoint_id, lease_until + timedelta(milliseconds=200))
        elif huey.immediate:
            attempts += delivery.drain_endpoint(endpoint_id).attempts
        else:
            _forget_request(endpoint_id)
            request_drain(endpoint_id)
    return attempts


def request_drain(endpoint_id: int) -> None:
    """Queue a drain of this endpoint unless one is queued and not yet started.

    The marker lives in the queue's own storage (SQLite file or Redis), so it is shared
    by every process and vanishes with the queue; a marker orphaned by a crash is
    cleared by the next sweep. In immediate mode (tests) nothing is queued.
    """
    if huey.immediate:
        return
    try:
        if not huey.storage.put_if_empty(_PENDING.format(endpoint_id), b"1"):
            return
        deliver_webhooks(endpoint_id)
    except Exception:
        _forget_request(endpoint_id)
        log.warning("could not queue webhook deliveries; the sweep will", exc_info=True)


def schedule_drain(endpoint_id: int, when: datetime) -> None:
    """Wake this endpoint's drain at `when` (the next retry, backoff end or lease expiry),
    unless a wake no later than that is already planned: a busy endpoint with one retry
    hours away must not pile up a scheduled task per drain."""
    if huey.immediate:
        return
    key, at = _WAKE.format(endpoint_id), when.timestamp()
    try:
        planned = huey.storage.peek_data(key)
        if planned is not EmptyData and time.time() < float(planned) <= at:
            return
        huey.storage.put_data(key, repr(at).encode())
        deliver_webhooks.schedule((endpoint_id,), eta=when)
    except Exception:
        log.warning("could not schedule webhook retries; the sweep will", exc_info=True)


def _forget_request(endpoint_id: int) -> None:
    if huey.immediate:
        return
    try:
        huey.storage.pop_data(_PENDING.format(endpoint_id))
    except Exception:
        log.warning("could not clear the webhook drain marker", exc_info=True)
