from api.events.dispatch import dispatch_pending
from api.infra.queue import every_minute, periodic_task


@periodic_task(every_minute())
def sweep_events() -> int:
    """The safety net beside the event watcher (api/events/watcher.py): a worker whose
    watcher thread died still hands events on within a minute."""
    return dispatch_pending()
