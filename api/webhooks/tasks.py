"""Webhook work for the queue. The queue only says "endpoint N may have work": what is
due is always read from the database, so a lost message costs a delay, never a delivery.

* `deliver_webhooks(endpoint_id)` drains one endpoint; it is queued after fan-out,
  a test send or a resend commits, and scheduled for the next retry time.
* `sweep_webhooks` (every minute, and at worker start) finds due deliveries whose
  message was lost (Redis flush, crash between commit and enqueue, killed worker) and
  hands endpoints held by a dead worker to a live one once the lease runs out.
"""

from __future__ import annotations

from datetime import timedelta

from huey import crontab

from api.infra.queue import every_minute, huey, periodic_task, task
from api.infra.timestamps import utcnow
from api.webhooks import delivery
from api.webhooks.draining import forget_request, request_drain, schedule_drain


@task()
def deliver_webhooks(endpoint_id: int) -> int:
    """Send what is due for one endpoint (in event order)."""
    forget_request(endpoint_id)
    report = delivery.drain_endpoint(endpoint_id)
    if report.wake_at is not None:
        schedule_drain(endpoint_id, report.wake_at)
    return report.attempts


@periodic_task(every_minute())
def sweep_webhooks() -> int:
    """The safety net: drain every endpoint with due deliveries nobody is working on."""
    return sweep()


@periodic_task(crontab(minute="17"))
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
            forget_request(endpoint_id)
            request_drain(endpoint_id)
    return attempts
