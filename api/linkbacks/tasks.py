"""Linkback work for the worker: pinging other sites, verifying received Webmentions."""

from api.infra.queue import every_minute, periodic_task, task
from api.linkbacks.jobs import send_due_linkbacks, verify_due_webmentions


@task()
def send_pending_linkbacks() -> int:
    """Ping the targets of new links (queued when a post's links are recorded)."""
    return send_due_linkbacks()


@task()
def verify_received_webmentions() -> int:
    """Verify queued Webmentions (queued when one is received)."""
    return verify_due_webmentions()


@periodic_task(every_minute())
def linkbacks_sweep() -> int:
    """Retries whose time has come, and work whose queue message was lost."""
    return send_due_linkbacks() + verify_due_webmentions()
