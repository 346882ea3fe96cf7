"""The worker: huey's task consumer, plus the thread that hands new events on.

`marginalia worker` runs it as a process of its own (production: M of them); in the
embedded mode one serving process runs it as threads (api/server.py). The tasks it runs
are registered when the app is created (api/wiring.py imports every area's tasks).
"""

from __future__ import annotations

import logging

from huey.consumer import Consumer

from api.events.watcher import EventWatcher
from api.infra.queue import current_app_for_tasks, huey

log = logging.getLogger(__name__)


class WatchingConsumer(Consumer):
    """The task consumer, plus the thread that hands new events to their consumers."""

    def start(self):
        self.event_watcher = EventWatcher(current_app_for_tasks())
        self.event_watcher.start()
        super().start()

    def stop(self, graceful=False):
        watcher = getattr(self, "event_watcher", None)
        if watcher is not None:
            watcher.stop()
        super().stop(graceful=graceful)


class InlineConsumer(WatchingConsumer):
    """A consumer running as threads of the serving process; it leaves the process's
    signal handling to the server that owns it."""

    def _set_signal_handlers(self):
        pass


def start_inline_consumer(workers: int = 2) -> InlineConsumer:
    consumer = InlineConsumer(huey, workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    log.info("inline worker started with %d threads", workers)
    return consumer


def run_consumer(workers: int = 2) -> None:
    """`marginalia worker`: a standalone consumer process."""
    WatchingConsumer(huey, workers=workers, worker_type="thread", periodic=True).run()
