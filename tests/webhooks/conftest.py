"""Webhook test fixtures: a real receiver on 127.0.0.1 and a fast retry schedule."""

from __future__ import annotations

import dataclasses
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from standardwebhooks import Webhook

from api.events.dispatch import dispatch_pending
from api.infra.database import db
from api.webhooks.sender import close_thread_clients
from api.webhooks.tasks import sweep

FAST_SCHEDULE = (0.0, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1)


@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    connection: int  # the client's port: one per TCP connection
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """A webhook consumer: records every request, answers from a script, then 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[tuple[int, dict[str, str], bytes]] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        self.port = _free_port()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, *responses: int | tuple[int, dict[str, str], bytes]) -> None:
        """Queue the next answers: a status, or (status, headers, body)."""
        for response in responses:
            self.script.append(response if isinstance(response, tuple) else (response, {}, b""))

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave without a 40 ms stall

            def log_message(self, format, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the sender died mid-request (a killed worker): nothing arrived
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, headers, body, self.client_address[1], time.time())
                    )
                    status, extra, reply = (
                        receiver.script.pop(0) if receiver.script else (200, {}, b"thanks")
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]

    def verify_all(self, secret: str) -> list[dict]:
        """Every request verified as a consumer would (raises on a bad signature)."""
        hook = Webhook(secret)
        return [hook.verify(r.body, r.headers) for r in self.received]


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a sender killed mid-request resets the connection; that is the test


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def down_receiver() -> Iterator[Receiver]:
    """A receiver whose port refuses connections until the test calls start()."""
    waiting = Receiver()
    yield waiting
    waiting.stop()


@pytest.fixture
def settings(app) -> Iterator[Callable[..., None]]:
    """Loopback receivers allowed and a schedule of tenths of seconds; call it to change
    more settings for the test."""
    original = app.config["MARGINALIA"]

    def change(**changes) -> None:
        app.config["MARGINALIA"] = dataclasses.replace(app.config["MARGINALIA"], **changes)

    change(allow_private_targets=True, webhook_retry_schedule=FAST_SCHEDULE, webhook_timeout=2.0)
    yield change
    app.config["MARGINALIA"] = original
    close_thread_clients()


@pytest.fixture
def hook(client, admin, settings) -> Callable[..., dict]:
    """Register an endpoint through the API; the response includes its secret."""

    def register(url: str, events: list[str] | None = None, **fields) -> dict:
        response = client.post(
            "/v1/webhooks", json={"url": url, "events": events or ["*"], **fields}, headers=admin
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return register


@pytest.fixture
def work(app) -> Callable[..., int]:
    """One pass of the worker: fan out new events, then send everything due."""

    def run() -> int:
        with app.app_context():
            dispatch_pending()
            sent = sweep()
            db.session.remove()
        return sent

    return run


@pytest.fixture
def work_until(work) -> Callable[..., None]:
    """Run worker passes until `done()` holds (retries need their delays to pass)."""

    def run(done: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the worker did not get there in time"
            work()
            time.sleep(0.02)

    return run
