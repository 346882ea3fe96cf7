"""A real varnishd running deploy/varnish/default.vcl, in front of a small local origin.

`varnish` (one per test process) fronts `origin`, an HTTP server on 127.0.0.1 that
answers any GET/HEAD/POST with the caching headers the query asks for, so each test
states the origin's answer in its URL:

    /things/1?keys=post:1+posts&cdn=max-age%3D60   ->  Surrogate-Key: post:1 posts
                                                       CDN-Cache-Control: max-age=60

(`cc` sets Cache-Control, default `public, max-age=60`, `none` for no such header; `sc`
Surrogate-Control; `status` the status). The body says how many times the origin served
that URL, so a test can tell a cached copy from a fresh one. `varnish_in_front_of(port)`
starts more nodes, for any backend on 127.0.0.1 (the app served on a port, for instance).

varnishd must be installed (Debian's `varnish` and `varnish-modules`; `.ci/run` installs
them): without it these tests fail, saying so, rather than skip.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import stop_process

VCL = Path(__file__).resolve().parents[2] / "deploy" / "varnish" / "default.vcl"
# The shipped backend; tests point the same VCL at their own port and change nothing else.
BACKEND = re.compile(r'(backend marginalia \{\s*\.host = "127\.0\.0\.1";\s*\.port = )"8000";')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def cache(self) -> str:
        return self.headers.get("X-Cache", "")


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    source: str | None = None,
) -> Answer:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


class Origin:
    """The backend: caching headers from the query string, a fetch count per URL."""

    def __init__(self) -> None:
        self.fetches: Counter[str] = Counter()
        self.seen_headers: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def start(self) -> Origin:
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format, *args):
                pass

            def do_GET(self):
                self._answer(send_body=True)

            def do_HEAD(self):
                self._answer(send_body=False)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                with origin.lock:
                    origin.fetches[self.path] += 1
                    count = origin.fetches[self.path]
                    origin.seen_headers[self.path] = {k.lower(): v for k, v in self.headers.items()}
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                body = json.dumps(
                    {
                        "path": self.path,
                        "fetch": count,
                        "authorized": "Authorization" in self.headers,
                    }
                ).encode()
                self.send_response(int(query.get("status", 200)))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                cache_control = query.get("cc", "public, max-age=60")
                if cache_control != "none":
                    self.send_header("Cache-Control", cache_control)
                for name, field in (
                    ("Surrogate-Key", "keys"),
                    ("Surrogate-Control", "sc"),
                    ("CDN-Cache-Control", "cdn"),
                ):
                    if field in query:
                        self.send_header(name, query[field])
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Receiver:
    """A stand-in for a purge API or node: records every request and answers with
    `reply(received) -> (status, headers, body)` (default: 200, an empty JSON object)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.reply: Callable[[Received], tuple[int, dict[str, str], bytes]] = lambda _: (
            200,
            {"Content-Type": "application/json"},
            b"{}",
        )
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format, *args):
                pass

            def handle_one_request(self):
                # Any method, PURGE included, gets here (no do_<METHOD> per verb).
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline or not self.parse_request():
                    self.close_connection = True
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                receiver.received.append(received)
                status, headers, content = receiver.reply(received)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(content))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


class VarnishNode:
    """One varnishd with the shipped VCL, its backend moved to `backend_port`."""

    def __init__(self, backend_port: int, workdir: Path) -> None:
        self.backend_port = backend_port
        self.workdir = workdir
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VarnishNode:
        varnishd = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
        if varnishd is None:
            pytest.fail(
                "varnishd is not installed: `apt-get install varnish varnish-modules` "
                "(.ci/run installs them). The CDN tests need the real one.",
                pytrace=False,
            )
        vcl, replaced = BACKEND.subn(rf'\g<1>"{self.backend_port}";', VCL.read_text())
        assert replaced == 1, (
            "deploy/varnish/default.vcl no longer declares its backend as expected"
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "default.vcl").write_text(vcl)
        for _ in range(3):  # a free port can be taken between the check and the bind
            self.port = free_port()
            if self._launch(varnishd):
                return self
        pytest.fail(f"varnishd did not start:\n{self._log()}", pytrace=False)

    def _launch(self, varnishd: str) -> bool:
        log = (self.workdir / "varnishd.log").open("wb")
        self.process = subprocess.Popen(
            [
                varnishd,
                "-F",  # foreground: the fixture owns the process
                "-j", "none",  # no privilege separation: same user as the tests
                "-a", f"127.0.0.1:{self.port}",
                "-T", "none",  # no management port
                "-n", str(self.workdir / "state"),
                "-f", str(self.workdir / "default.vcl"),
                "-s", "malloc,32m",
                "-p", "thread_pools=1",
                "-p", "thread_pool_min=5",
                "-p", "thread_pool_max=50",
                "-p", "vsl_space=1M",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 60  # compiling the VCL with cc takes a second or two
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                # A purge is answered by the VCL itself: ready without touching the backend.
                if self.purge("readiness-probe").status == 200:
                    return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"varnishd did not answer within 60 s:\n{self._log()}", pytrace=False)

    def _log(self) -> str:
        path = self.workdir / "varnishd.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return request(self.port, "GET", path, headers)

    def purge(self, keys: str, header: str = "xkey-purge", source: str | None = None) -> Answer:
        return request(self.port, "PURGE", "/", {header: keys}, source=source)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)


@pytest.fixture(scope="session")
def origin() -> Iterator[Origin]:
    server = Origin().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def varnish_in_front_of(tmp_path_factory) -> Iterator[Callable[[int], VarnishNode]]:
    """Start a varnishd with the shipped VCL in front of a backend port on 127.0.0.1."""
    nodes: list[VarnishNode] = []

    def start(backend_port: int) -> VarnishNode:
        node = VarnishNode(backend_port, tmp_path_factory.mktemp("varnish"))
        nodes.append(node)
        return node.start()

    yield start
    for node in nodes:
        node.stop()


@pytest.fixture(scope="session")
def varnish(varnish_in_front_of, origin) -> VarnishNode:
    return varnish_in_front_of(origin.port)
