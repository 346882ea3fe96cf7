"""The gunicorn worker class of `marginalia serve`: gunicorn's asyncio (ASGI) worker,
serving the Flask app through BufferedWSGI and GuardedProtocol.

gunicorn stays the process manager: the arbiter, `--workers N`, signals, graceful
restarts and the post_worker_init / worker_exit hooks (the inline task consumer) work
as with the gthread worker this replaces.
"""

from __future__ import annotations

import gc

from gunicorn.workers import gasgi

from api.serving.protocol import GuardedProtocol


class GuardedWorker(gasgi.ASGIWorker):
    @classmethod
    def setup(cls):
        # gunicorn calls this once when it loads the worker class, before forking (as
        # its own tornado worker does to patch tornado). ASGIWorker builds each
        # connection's protocol from this module-level name; nothing else in the
        # process serves with the plain one.
        gasgi.ASGIProtocol = GuardedProtocol

    def load_wsgi(self):
        super().load_wsgi()  # self.asgi: the BufferedWSGI returned by Server.load()
        # Hooks written for WSGI workers (api/server.py's inline consumer) read the
        # Flask app from `worker.wsgi`.
        self.wsgi = getattr(self.asgi, "wsgi_app", self.asgi)

    def run(self):
        # Everything loaded so far (Flask, SQLAlchemy, the schemas: hundreds of thousands
        # of objects) lives as long as the process. Frozen, the collector stops walking
        # it on every full collection, pauses that otherwise stall the event loop, and
        # with it every connection, for up to ~100 ms under load.
        gc.freeze()
        self._accept_one_connection_per_wake()
        self.asgi.tally.start(self.loop)
        try:
            super().run()
        finally:
            self.asgi.tally.stop()
            self.asgi.close()

    def _accept_one_connection_per_wake(self) -> None:
        """Share a burst of new connections between the workers.

        asyncio accepts up to `backlog` connections each time the shared listening
        socket turns readable, so the first worker to wake took a whole burst (a load
        balancer's or a CDN's kept-alive connections): measured with 16 connections
        and two workers, one worker served every request, bound to one core by its GIL,
        while the other idled. Accepting one per wake lets every worker that is free
        race for the next one. asyncio also calls `listen(backlog)` with that number,
        so the kernel's queue of waiting connections is set back to gunicorn's size.
        """
        create_server = self.loop.create_server
        queue_size = self.cfg.backlog

        async def create_fair_server(*args, **kwargs):
            server = await create_server(*args, **{**kwargs, "backlog": 1})
            kwargs["sock"].listen(queue_size)
            return server

        self.loop.create_server = create_fair_server
