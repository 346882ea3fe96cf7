"""The moderation area's worker tasks."""

from flask import current_app
from huey import crontab

from api.infra.queue import periodic_task
from api.moderation.purge import purge


@periodic_task(crontab(minute="17"))
def purge_spam_and_trash() -> int:
    """Hourly: delete spam and trash older than the discussion settings' days."""
    return purge(current_app.config["MARGINALIA"])
