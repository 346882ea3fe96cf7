"""`marginalia serve`: gunicorn serving the app, with the worker inline in embedded mode.

Each gunicorn worker reads whole requests in an event loop before a Flask thread sees
them (api/serving/, docs/serving.md), so slow or idle clients cost no request thread.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from api.serving.limits import ReadLimits, raise_open_file_limit
from config import Settings

log = logging.getLogger(__name__)


class Server(BaseApplication):
    def __init__(
        self,
        settings: Settings,
        *,
        workers: int,
        threads: int = 4,
        limits: ReadLimits | None = None,
    ):
        self.settings = settings
        self.workers = workers
        self.threads = threads  # Flask threads per worker (BufferedWSGI's pool)
        self.limits = limits or ReadLimits(max_body_bytes=settings.max_body_bytes)
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.workers)
        self.cfg.set("worker_class", "api.serving.worker.GuardedWorker")
        self.cfg.set("asgi_lifespan", "off")  # the Flask app has no lifespan to run
        # Also the deadline for a kept-alive connection's next request headers.
        self.cfg.set("keepalive", 5)
        # gunicorn drops a body that sends nothing for `timeout` seconds (the worker
        # heartbeat too): keep that past the body deadline, which answers 408 first.
        self.cfg.set("timeout", max(30, math.ceil(self.limits.body_timeout) + 5))
        self.cfg.set("graceful_timeout", 10)
        # gunicorn's control socket is one path per user: a second server on the machine
        # (a test, a bench, another instance) would take it over. We do not use it.
        self.cfg.set("control_socket_disable", True)
        self.cfg.set("post_worker_init", _start_inline_worker)
        self.cfg.set("worker_exit", _stop_inline_worker)

    def load(self):
        from api.app import create_app
        from api.serving.bridge import BufferedWSGI

        return BufferedWSGI(
            create_app(self.settings),
            threads=self.threads,
            limits=self.limits,
            multiprocess=self.workers > 1,
        )

    def run(self):
        raise_open_file_limit()  # before forking: the workers inherit it
        super().run()


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
