"""The content area's worker tasks: publishing scheduled posts and pending drafts when
they are due, unpublishing posts at their `unpublish_at`, pruning old revisions."""

from flask import current_app
from huey import crontab

from api.content import editorial, revisions, services
from api.errors import DomainError
from api.infra.queue import every_minute, periodic_task, task
from api.infra.unit_of_work import unit_of_work


def _each_once(due, act) -> int:
    """`act(id)` for each due id, one unit of work each; an id another worker took
    (locked or already done) counts 0, so two workers act on each once."""
    done = 0
    for item_id in due():
        try:
            with unit_of_work():
                done += act(item_id)
        except DomainError:
            continue  # changed meanwhile (an edit, another worker): the next sweep looks again
    return done


def publish_due_posts() -> int:
    """Publish every scheduled post whose time has come, one unit of work each."""
    return _each_once(services.due_scheduled_posts, services.publish_scheduled_post)


def unpublish_due_posts() -> int:
    """Take every published post whose `unpublish_at` has come back to draft."""
    return _each_once(services.due_unpublications, services.unpublish_due_post)


def publish_due_drafts_now() -> int:
    """Publish every pending draft whose `publish_at` has come."""
    return _each_once(editorial.due_drafts, editorial.publish_due_draft)


@task()
def publish_scheduled() -> int:
    """Publish the scheduled posts that are due (queued with an eta when scheduled)."""
    return publish_due_posts()


@task()
def unpublish_scheduled() -> int:
    """Unpublish the posts whose `unpublish_at` has come (queued with an eta when set)."""
    return unpublish_due_posts()


@task()
def publish_due_drafts() -> int:
    """Publish the pending drafts that are due (queued with an eta when saved)."""
    return publish_due_drafts_now()


@periodic_task(every_minute())
def publish_scheduled_sweep() -> int:
    return publish_due_posts() + publish_due_drafts_now() + unpublish_due_posts()


def prune_old_revisions() -> int:
    """Keep `revisions_per_post` revisions of each post (0: all) and the published one."""
    with unit_of_work():
        return revisions.prune(current_app.config["MARGINALIA"].revisions_per_post)


@periodic_task(crontab(minute="23"))
def prune_revisions() -> int:
    """Hourly: prune old revisions (`revisions_per_post`) and expired preview links."""
    with unit_of_work():
        editorial.forget_expired_links()
    return prune_old_revisions()
