"""The content area's worker tasks: publishing scheduled posts when they are due."""

from api.content import services
from api.errors import DomainError
from api.infra.queue import every_minute, periodic_task, task
from api.infra.unit_of_work import unit_of_work


def publish_due_posts() -> int:
    """Publish every scheduled post whose time has come, one unit of work each."""
    published = 0
    for post_id in services.due_scheduled_posts():
        try:
            with unit_of_work():
                published += services.publish_scheduled_post(post_id)
        except DomainError:
            continue  # changed meanwhile (an edit, another worker): the next sweep looks again
    return published


@task()
def publish_scheduled() -> int:
    """Publish the scheduled posts that are due (queued with an eta when scheduled)."""
    return publish_due_posts()


@periodic_task(every_minute())
def publish_scheduled_sweep() -> int:
    return publish_due_posts()
