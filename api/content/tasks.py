from api.content.services import publish_due_posts
from api.infra.queue import app_periodic_task, app_task, every_minute


@app_task()
def publish_scheduled() -> int:
    """Publish the scheduled posts that are due (queued with an eta when scheduled)."""
    return publish_due_posts()


@app_periodic_task(every_minute())
def publish_scheduled_sweep() -> int:
    return publish_due_posts()
