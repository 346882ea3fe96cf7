from api.events.dispatch import dispatch_pending
from api.infra.queue import app_periodic_task, app_task, every_minute


@app_periodic_task(every_minute())
def sweep_events() -> int:
    """The safety net beside the event watcher (api/events/watcher.py): a worker whose
    watcher thread died still hands events on within a minute."""
    return dispatch_pending()


@app_task()
def dispatch_events() -> int:
    """Releases before the event watcher queued this after every commit; kept so that
    messages still queued at an upgrade run instead of failing to load."""
    return dispatch_pending()
