"""The task queue (huey) and the worker that runs it.

The queue only carries work: what must happen is always recorded in the database
first (the outbox, delivery rows, post status), so a lost queue message costs a delay
until the next periodic sweep, never the work itself.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

log = logging.getLogger(__name__)

# Created unconfigured at import so tasks can be declared with its decorators;
# `configure_queue` points it at SQLite or Redis once the app exists.
huey = Huey("marginalia", immediate=True)
_state: dict[str, Flask] = {}


def configure_queue(app: Flask) -> None:
    """Bind the queue to this app's storage; immediate (inline) mode for tests."""
    settings = app.config["MARGINALIA"]
    _state["app"] = app
    if app.config.get("QUEUE_IMMEDIATE"):
        huey.immediate = True
        return
    if settings.uses_redis:
        huey.storage_class = RedisHuey.storage_class
        huey.storage_kwargs = {"url": settings.redis_url}
    else:
        huey.storage_class = SqliteHuey.storage_class
        huey.storage_kwargs = {"filename": str(Path(app.instance_path) / "queue.db")}
    huey._immediate = False
    huey.storage = huey.create_storage()


def app_task(**task_options):
    """A huey task that runs inside the application context of the configured app."""

    def decorator(fn):
        @functools.wraps(fn)
        def in_context(*args, **kwargs):
            with _state["app"].app_context():
                return fn(*args, **kwargs)

        return huey.task(name=fn.__name__, **task_options)(in_context)

    return decorator


def app_periodic_task(schedule, **task_options):
    def decorator(fn):
        @functools.wraps(fn)
        def in_context(*args, **kwargs):
            with _state["app"].app_context():
                return fn(*args, **kwargs)

        return huey.periodic_task(schedule, name=fn.__name__, **task_options)(in_context)

    return decorator


def every_minute():
    return crontab(minute="*")


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Queue a task; a queue that is down only delays the work to the next sweep."""
    try:
        task(*args, **kwargs)
    except Exception:
        log.warning(
            "could not enqueue %s; the periodic sweep will pick it up",
            getattr(task, "name", task),
            exc_info=True,
        )


class WatchingConsumer(Consumer):
    """The task consumer, plus the thread that hands new events to their consumers."""

    def start(self):
        from api.events.watcher import EventWatcher

        self.event_watcher = EventWatcher(_state["app"])
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
    import api.tasks  # noqa: F401  (registers the tasks)

    consumer = InlineConsumer(huey, workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    log.info("inline worker started with %d threads", workers)
    return consumer


def run_consumer(workers: int = 2) -> None:
    """`marginalia worker`: a standalone consumer process."""
    import api.tasks  # noqa: F401

    WatchingConsumer(huey, workers=workers, worker_type="thread", periodic=True).run()


def queue_at(task, eta) -> None:
    """Queue `task` to run at `eta`; immediate (test) mode leaves it to the sweeps."""
    if huey.immediate:
        return
    try:
        task.schedule(eta=eta)
    except Exception:
        log.warning(
            "could not schedule %s; the periodic sweep will pick it up",
            getattr(task, "name", task),
            exc_info=True,
        )
