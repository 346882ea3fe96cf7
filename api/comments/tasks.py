"""The comments area's worker tasks: Akismet reports and notification mail, each with
the sweep that retries it."""

from api.comments.feedback import send_due_reports
from api.comments.notify import build_digests, build_moderator_digests, send_due_mail
from api.infra.queue import current_app_for_tasks, every_minute, periodic_task, task


def _settings():
    return current_app_for_tasks().config["MARGINALIA"]


def _mail() -> int:
    app = current_app_for_tasks()
    build_digests(app.config["MARGINALIA"], app.config["SECRET_KEY"])
    build_moderator_digests(app.config["MARGINALIA"], app.config["SECRET_KEY"])
    return send_due_mail(app.config["MARGINALIA"])


@task()
def send_akismet_reports() -> int:
    """Send moderators' corrections to the Akismet-protocol service."""
    return send_due_reports(_settings())


@periodic_task(every_minute())
def akismet_reports_sweep() -> int:
    """Retries whose time has come, and reports whose queue message was lost."""
    return send_due_reports(_settings())


@task()
def send_notification_mail() -> int:
    """Gather reply digests and send the due notification mails."""
    return _mail()


@periodic_task(every_minute())
def notification_mail_sweep() -> int:
    """Digests whose time has come, retries, and mail whose queue message was lost."""
    return _mail()
