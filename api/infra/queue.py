"""The task queue (huey): declaring tasks, and queueing them by name.

The queue only carries work: what must happen is always recorded in the database first
(the outbox, delivery rows, post status), so a lost queue message costs a delay until
the next periodic sweep, never the work itself.

Services queue work by the task's name, after their unit of work commits
(`enqueue_after_commit("send_pending_linkbacks")`), so they never import the task
modules that import them: tasks depend on services, never the other way round. In
immediate mode (tests) nothing is queued: tests run the work, or the sweeps, themselves.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

from api.infra import unit_of_work

log = logging.getLogger(__name__)

# Created unconfigured at import so tasks can be declared with its decorators;
# `configure_queue` points it at SQLite or Redis once the app exists.
huey = Huey("marginalia", immediate=True)
_app: dict[str, Flask] = {}
_tasks: dict[str, object] = {}


def configure_queue(app: Flask) -> None:
    """Bind the queue to this app's storage; immediate (inline) mode for tests."""
    settings = app.config["MARGINALIA"]
    _app["current"] = app
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


def current_app_for_tasks() -> Flask:
    return _app["current"]


def _in_app_context(fn):
    @functools.wraps(fn)
    def in_context(*args, **kwargs):
        with _app["current"].app_context():
            return fn(*args, **kwargs)

    return in_context


def task(**task_options):
    """A huey task that runs inside the application context of the configured app."""

    def decorator(fn):
        declared = huey.task(name=fn.__name__, **task_options)(_in_app_context(fn))
        _tasks[fn.__name__] = declared
        return declared

    return decorator


def periodic_task(schedule, **task_options):
    def decorator(fn):
        declared = huey.periodic_task(schedule, name=fn.__name__, **task_options)(
            _in_app_context(fn)
        )
        _tasks[fn.__name__] = declared
        return declared

    return decorator


def every_minute():
    return crontab(minute="*")


def task_named(name: str):
    """The declared task called `name` (every area's tasks are declared when the app is
    created: api/wiring.py)."""
    return _tasks[name]


def enqueue(name: str, *args, eta: datetime | None = None) -> None:
    """Queue the task called `name` now (or at `eta`); a queue that is down only delays
    the work to the next sweep. A no-op in immediate mode."""
    if huey.immediate:
        return
    try:
        declared = task_named(name)
        if eta is None:
            declared(*args)
        else:
            declared.schedule(args, eta=eta)
    except Exception:
        log.warning("could not queue %s; the periodic sweep will pick it up", name, exc_info=True)


def enqueue_after_commit(name: str, *args, eta: datetime | None = None) -> None:
    """Queue the task once the caller's unit of work has committed."""
    unit_of_work.after_commit(lambda: enqueue(name, *args, eta=eta))
