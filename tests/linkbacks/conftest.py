"""Fixtures for linkbacks: a programmable web site on 127.0.0.1, the app on a real port,
the settings switch for private targets, and the SSRF witnesses (a listener that must
never be reached, a fake DNS)."""

from __future__ import annotations

import dataclasses
import http.server
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select as sql_select
from werkzeug.serving import make_server

from api.comments.models import Comment
from api.events.dispatch import dispatch_pending
from api.infra import outbound
from api.infra.database import db
from tests.conftest import assert_untouched  # noqa: F401  (the linkbacks tests import it here)

LOOPBACK = "127.0.0.1"


# --- a web site of other people's pages --------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Page:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Site

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        self.server.requests.append(request)
        page = self.server.pages.get(self.path.split("?")[0])
        if callable(page):
            page = page(request)
        page = page or Page(404, b"not here")
        content = page.body.encode() if isinstance(page.body, str) else page.body
        self.send_response(page.status)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_POST = do_GET


class Site(http.server.ThreadingHTTPServer):
    """Pages by path; every request is recorded."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.pages: dict[str, Page | Callable[[Request], Page]] = {}
        self.requests: list[Request] = []

    def url(self, path: str, host: str = LOOPBACK) -> str:
        return f"http://{host}:{self.server_address[1]}{path}"

    @property
    def endpoint(self) -> str:
        return f"{LOOPBACK}:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass

    def received(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.split("?")[0] == path]


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def html_page(body: str, title: str = "A page", head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )


# --- the app -------------------------------------------------------------------------------


@pytest.fixture
def allow_private(app, monkeypatch) -> None:
    """Loopback test servers count as reachable targets (MARGINALIA_ALLOW_PRIVATE_TARGETS)."""
    settings = app.config["MARGINALIA"]
    monkeypatch.setitem(
        app.config, "MARGINALIA", dataclasses.replace(settings, allow_private_targets=True)
    )


@pytest.fixture
def settings_with(app, monkeypatch) -> Callable[..., None]:
    def change(**fields) -> None:
        current = app.config["MARGINALIA"]
        monkeypatch.setitem(app.config, "MARGINALIA", dataclasses.replace(current, **fields))

    return change


@pytest.fixture
def dispatch(in_app) -> Callable[[], int]:
    """What the worker does after each commit: feed new events to the consumers."""
    return lambda: in_app(dispatch_pending)


@dataclass(frozen=True)
class Entry:
    id: int
    type: str
    status: str
    source_url: str | None
    source_title: str | None
    author_name: str
    body_html: str
    ip_address: str | None


@pytest.fixture
def entries(in_app) -> Callable[[int], list[Entry]]:
    """The pingback entries on a post (any status), read from the comments table."""

    def read(post_id: int) -> list[Entry]:
        def query():
            rows = db.session.scalars(
                sql_select(Comment).where(Comment.post_id == post_id).order_by(Comment.id)
            )
            return [
                Entry(
                    r.id,
                    r.type,
                    r.status,
                    r.source_url,
                    r.source_title,
                    r.author_name,
                    r.body_html,
                    r.ip_address,
                )
                for r in rows
            ]

        return in_app(query)

    return read


@pytest.fixture
def live_app(app) -> Iterator[str]:
    """The app on a real port of 127.0.0.1 (for clients that speak real HTTP)."""
    server = make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


# --- SSRF witnesses ------------------------------------------------------------------------


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names resolve from this table only (the guarded client's lookups); IP literals
    go to the real resolver, which does no DNS for them."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            return real(host, port, family, type, proto, flags)
        if name not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in table[name]
        ]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def public_first_hop(monkeypatch) -> Callable[[Site], None]:
    """Let one loopback test server play a public web site while private targets stay
    refused (the guarded client's test-only `extra_allowed` seam)."""
    from api.linkbacks import fetching

    def allow(server: Site) -> None:
        real = fetching.outbound_policy

        def policy(**kwargs):
            return dataclasses.replace(real(**kwargs), extra_allowed=frozenset({server.endpoint}))

        monkeypatch.setattr(fetching, "outbound_policy", policy)

    return allow
