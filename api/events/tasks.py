from api.events.dispatch import dispatch_pending
from api.worker import app_periodic_task, app_task, every_minute


@app_task()
def dispatch_events() -> int:
    """Hand new events to their consumers (queued after every commit that records one)."""
    return dispatch_pending()


@app_periodic_task(every_minute())
def sweep_events() -> int:
    """The safety net: events whose queue message was lost are handled within a minute."""
    return dispatch_pending()
