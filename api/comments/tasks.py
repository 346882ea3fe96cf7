"""The comments area's worker tasks: Akismet reports (and the sweep that retries them)."""

from api.comments.feedback import send_due_reports
from api.infra.queue import current_app_for_tasks, every_minute, periodic_task, task


def _settings():
    return current_app_for_tasks().config["MARGINALIA"]


@task()
def send_akismet_reports() -> int:
    """Send moderators' corrections to the Akismet-protocol service."""
    return send_due_reports(_settings())


@periodic_task(every_minute())
def akismet_reports_sweep() -> int:
    """Retries whose time has come, and reports whose queue message was lost."""
    return send_due_reports(_settings())
