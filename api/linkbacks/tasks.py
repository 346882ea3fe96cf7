"""Linkback work for the worker: pinging other sites, verifying received Webmentions."""

from api.infra.queue import app_periodic_task, app_task, every_minute
from api.linkbacks import consumer  # noqa: F401  (the worker dispatches to it)
from api.linkbacks.incoming import verify_due_webmentions
from api.linkbacks.services import send_due_linkbacks


@app_task()
def send_pending_linkbacks() -> int:
    """Ping the targets of new links (queued when a post's links are recorded)."""
    return send_due_linkbacks()


@app_task()
def verify_received_webmentions() -> int:
    """Verify queued Webmentions (queued when one is received)."""
    return verify_due_webmentions()


@app_periodic_task(every_minute())
def linkbacks_sweep() -> int:
    """Retries whose time has come, and work whose queue message was lost."""
    return send_due_linkbacks() + verify_due_webmentions()
