"""`marginalia serve`: gunicorn serving the app, with the worker inline in embedded mode."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from config import Settings

log = logging.getLogger(__name__)


class Server(BaseApplication):
    def __init__(self, settings: Settings, *, workers: int, threads: int = 8):
        self.settings = settings
        self.workers = workers
        self.threads = threads
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.workers)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self.threads)
        self.cfg.set("keepalive", 5)
        self.cfg.set("graceful_timeout", 10)
        self.cfg.set("post_worker_init", _start_inline_worker)
        self.cfg.set("worker_exit", _stop_inline_worker)

    def load(self):
        from api.app import create_app

        return create_app(self.settings)


def _start_inline_worker(worker) -> None:
    """In embedded mode one gunicorn worker also runs the task consumer.

    A file lock picks that one worker; if it dies, its replacement takes the lock over.
    """
    settings = worker.app.settings
    if not settings.runs_inline_worker:
        return
    from api.worker import start_inline_consumer

    app = worker.wsgi
    lock_path = Path(app.instance_path) / "worker.lock"
    handle = open(lock_path, "w")  # noqa: SIM115  (held for the worker's lifetime)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return
    worker.marginalia_lock = handle
    worker.marginalia_consumer = start_inline_consumer()
    log.info("inline worker runs in pid %d", os.getpid())


def _stop_inline_worker(server, worker) -> None:
    consumer = getattr(worker, "marginalia_consumer", None)
    if consumer is not None:
        consumer.stop(graceful=True)
