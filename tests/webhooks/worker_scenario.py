"""Set-up half of the worker e2e test, run as its own process (a real deployment's app
process): migrate, register an endpoint, record events. Prints the endpoint's secret.

Usage: python worker_scenario.py <receiver url> <number of events>
"""

from __future__ import annotations

import json
import sys

from flask_migrate import upgrade

from api.app import create_app
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra.unit_of_work import unit_of_work
from api.webhooks.services import create_endpoint
from config import load_settings


def main(url: str, count: int) -> None:
    app = create_app(load_settings())
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with unit_of_work():
            endpoint, secret = create_endpoint({"url": url, "event_types": ["post.*"]})
        for batch in range(0, count, 50):  # a few transactions, for the watcher to find
            with unit_of_work():
                for number in range(batch, min(batch + 50, count)):
                    record_event(events.POST_UPDATED, {"post": {"number": number}})
        print(json.dumps({"endpoint_id": endpoint.id, "secret": secret}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
