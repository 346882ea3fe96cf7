"""The event watcher: hands newly committed events to their consumers within a moment.

A thread of whichever process runs the task consumer (the embedded server's inline
worker, or each `marginalia worker`). It reads the latest event id a few times a
second and runs the dispatcher when it moved. Writers pay nothing for this at commit
time, and a burst of comments costs the dispatcher one run, not one per comment.
Several workers may watch at once: the dispatcher's per-consumer row locks let one
of them advance each consumer.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from api.events.dispatch import dispatcher_of
from api.events.feed import latest_event_id
from api.infra.database import db

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # webhook receivers hear of a change within about this long


class EventWatcher(threading.Thread):
    def __init__(self, app: Flask, interval: float = POLL_SECONDS):
        super().__init__(name="marginalia-event-watcher", daemon=True)
        self.app = app
        self.interval = interval
        self.seen = -1
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.check()
            except Exception:
                log.exception("event watcher: dispatch failed; retrying")

    def check(self) -> int:
        """Dispatch if events arrived since the last quiet check; returns events handled."""
        with self.app.app_context():
            try:
                latest = latest_event_id()
                if latest == self.seen:
                    return 0
                handled = dispatcher_of(self.app).dispatch_pending()
                if not handled:
                    self.seen = latest  # every consumer has caught up with `latest`
                return handled
            finally:
                db.session.remove()

    def stop(self) -> None:
        self._stopped.set()
