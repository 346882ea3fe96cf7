"""The privacy area's worker task."""

from flask import current_app
from huey import crontab

from api.infra.queue import periodic_task
from api.infra.unit_of_work import unit_of_work
from api.privacy.services import clear_old_ips


@periodic_task(crontab(minute="23"))
def clear_expired_ips() -> int:
    """Hourly: clear IPs stored longer than `ip_retention_days`."""
    with unit_of_work():
        return clear_old_ips(current_app.config["MARGINALIA"].ip_retention_days)
