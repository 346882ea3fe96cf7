"""Asking the worker to drain an endpoint: "endpoint N may have work".

What is due is always read from the database, so a lost message costs a delay until the
next sweep (api/webhooks/tasks.py), never a delivery. Markers in the queue's own storage
(SQLite file or Redis, shared by every process and gone with the queue) keep a burst of
events from queueing a drain per event, and a busy endpoint from piling up a scheduled
wake-up per drain. In immediate mode (tests) nothing is queued.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from huey.constants import EmptyData

from api.infra import unit_of_work
from api.infra.queue import huey, task_named

log = logging.getLogger(__name__)
_PENDING = "marginalia:webhook-drain:{}"  # "a drain of this endpoint is already queued"
_WAKE = "marginalia:webhook-wake:{}"  # when a scheduled drain of this endpoint will run
DRAIN_TASK = "deliver_webhooks"


def request_drain_after_commit(endpoint_id: int) -> None:
    unit_of_work.after_commit(lambda: request_drain(endpoint_id))


def request_drain(endpoint_id: int) -> None:
    """Queue a drain of this endpoint unless one is queued and not yet started; a marker
    orphaned by a crash is cleared by the next sweep."""
    if huey.immediate:
        return
    try:
        if not huey.storage.put_if_empty(_PENDING.format(endpoint_id), b"1"):
            return
        task_named(DRAIN_TASK)(endpoint_id)
    except Exception:
        forget_request(endpoint_id)
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
        task_named(DRAIN_TASK).schedule((endpoint_id,), eta=when)
    except Exception:
        log.warning("could not schedule webhook retries; the sweep will", exc_info=True)


def forget_request(endpoint_id: int) -> None:
    if huey.immediate:
        return
    try:
        huey.storage.pop_data(_PENDING.format(endpoint_id))
    except Exception:
        log.warning("could not clear the webhook drain marker", exc_info=True)
