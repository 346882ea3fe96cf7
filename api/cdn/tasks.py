"""CDN purges for the queue. The queue only says "there may be purges due": what is due
is always read from the cdn_purges table, so a lost message costs a delay (until the
sweep), never a purge."""

from __future__ import annotations

from huey import crontab

from api.cdn import purging
from api.infra.queue import enqueue, every_minute, periodic_task, task


@task()
def purge_cdn() -> int:
    """Send the due purges; come back when the next retry is due."""
    report = purging.drain()
    if report.wake_at is not None:
        enqueue("purge_cdn", eta=report.wake_at)
    return report.attempts


@periodic_task(every_minute())
def sweep_cdn_purges() -> int:
    """The safety net: purges whose message was lost, or whose retry is due."""
    return purging.drain().attempts


@periodic_task(crontab(minute="23"))
def forget_old_cdn_purges() -> int:
    return purging.forget_old()
