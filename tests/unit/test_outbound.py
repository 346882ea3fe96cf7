"""Tests for api.infra.outbound: SSRF refusals, DNS pinning, redirects, limits and timeouts.

Only 127.0.0.1 is ever contacted. Refusals of other addresses are asserted through the
`connects` fixture, which records every connect() and refuses anything not loopback, and
names are resolved by the `dns` fixture (the machine has no internet).
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.infra import outbound
from api.infra.outbound import (
    BlockedTarget,
    FetchResult,
    GuardedClient,
    OutboundError,
    OutboundPolicy,
    check_url,
    is_public_address,
)
from tests.conftest import assert_untouched

LOOPBACK = "127.0.0.1"
PRIVATE = OutboundPolicy(allow_private=True, connect_timeout=1.0, read_timeout=2.0)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every connect() made during the test; non-loopback ones are refused as a safety net."""
    seen: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: object) -> None:
        seen.append(address)
        if not (isinstance(address, tuple) and address[0] == LOOPBACK):
            raise OSError(f"test refused a connect() to {address!r}")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return seen


class FakeDNS:
    def __init__(self) -> None:
        self.table: dict[str, list[str] | Callable[[], list[str]]] = {}
        self.lookups: list[str] = []


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Resolve names from `table` only; IP literals go to the real (non-DNS) resolver."""
    fake = FakeDNS()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        fake.lookups.append(name)
        if name not in fake.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = fake.table[name]
        answers = answers() if callable(answers) else answers
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in answers
        ]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    return fake


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_GET

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            Seen(self.command, self.path, dict(self.headers.items()), body, self.client_address[1])
        )
        getattr(self, "route_" + url.path.strip("/"))(query)

    def _reply(self, status: int = 200, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_hello(self, query: dict[str, str]) -> None:
        self._reply(body=b"hello", Content_Type="text/plain; charset=utf-8")

    def route_echo(self, query: dict[str, str]) -> None:
        self._reply(body=self.server.seen[-1].body)

    def route_redirect(self, query: dict[str, str]) -> None:
        self._reply(int(query.get("code", "302")), Location=query["to"])

    def route_chain(self, query: dict[str, str]) -> None:
        n = int(query["n"])
        if n:
            self._reply(302, Location=f"/chain?n={n - 1}")
        else:
            self._reply(body=b"done")

    def route_loop(self, query: dict[str, str]) -> None:
        self._reply(302, Location="/loop")

    def route_big(self, query: dict[str, str]) -> None:
        self._reply(body=b"x" * int(query["size"]))

    def route_stream(self, query: dict[str, str]) -> None:
        # No Content-Length: the cap must be enforced while streaming.
        self.close_connection = True
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        for _ in range(int(query["size"]) // 100):
            self.wfile.write(b"y" * 100)

    def route_hang(self, query: dict[str, str]) -> None:
        self.close_connection = True
        self.server.stop.wait(5)

    def route_drip(self, query: dict[str, str]) -> None:
        # Each byte arrives well within read_timeout, so only the total deadline stops it.
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):
            if self.server.stop.wait(0.05):
                return
            self.wfile.write(b".")
            self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.tls = tls
        self.seen: list[Seen] = []
        self.stop = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/hello", host: str = LOOPBACK, scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.tls is None:
            return sock, address
        try:
            return self.tls.wrap_socket(sock, server_side=True), address
        except (OSError, ValueError):
            sock.close()
            raise

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up mid-response on purpose in these tests


@contextmanager
def running(tls: ssl.SSLContext | None = None) -> Iterator[_Server]:
    server = _Server(tls)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def server() -> Iterator[_Server]:
    with running() as srv:
        yield srv


@pytest.fixture
def tls(tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed cert for secure.example and a client trusting it."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.example")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    return server_context, ssl.create_default_context(cafile=str(cert_path))


# --- SSRF refusals (allow_private=False) --------------------------------------------------

LOOPBACK_SPELLINGS = [
    ("127.0.0.1", BlockedTarget),
    ("localhost", BlockedTarget),
    ("evil.example", BlockedTarget),  # public-looking name the fake DNS maps to 127.0.0.1
    ("2130706433", BlockedTarget),  # decimal
    ("0x7f000001", BlockedTarget),  # hex
    ("0x7f.1", BlockedTarget),  # hex, short
    ("0177.1", BlockedTarget),  # octal, short
    ("0177.0.0.1", OutboundError),  # octal; httpx itself already rejects this spelling
    ("127.1", BlockedTarget),  # short
    ("127.0.1", BlockedTarget),
    ("127.0.0.1.", BlockedTarget),  # trailing dot
    ("[::1]", BlockedTarget),
    ("[::ffff:127.0.0.1]", BlockedTarget),  # IPv4-mapped
    ("[::ffff:7f00:1]", BlockedTarget),
    ("[::127.0.0.1]", BlockedTarget),  # IPv4-compatible
    ("[64:ff9b::7f00:1]", BlockedTarget),  # NAT64
    ("[2002:7f00:1::1]", BlockedTarget),  # 6to4
]


@pytest.mark.parametrize(
    ("host", "error"), LOOPBACK_SPELLINGS, ids=[h for h, _ in LOOPBACK_SPELLINGS]
)
def test_loopback_in_any_spelling_is_refused_before_connecting(
    host, error, listener, connects, dns
):
    dns.table.update({"evil.example": [LOOPBACK], "localhost": [LOOPBACK, "::1"]})
    url = f"http://{host}:{listener.getsockname()[1]}/"
    with GuardedClient() as client, pytest.raises(error) as info:
        client.get(url)
    assert info.value.reason in {"blocked_address", "invalid_url"}
    assert connects == []
    assert_untouched(listener)


NON_LOOPBACK_INTERNAL = [
    "169.254.169.254",  # cloud metadata
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",  # CGNAT
    "0.0.0.0",  # noqa: S104 - a destination here, not a bind address
    "0.1.2.3",
    "192.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "198.19.255.254",
    "224.0.0.1",  # multicast
    "240.0.0.1",
    "255.255.255.255",
    "[::]",
    "[fe80::1]",
    "[fe80::1%25eth0]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:10.0.0.1]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
    "[2002:a9fe:a9fe::]",  # 6to4 of the metadata address
    "[2001:db8::1]",
]


@pytest.mark.parametrize("host", NON_LOOPBACK_INTERNAL)
def test_internal_addresses_are_refused_without_any_connect(host, connects):
    with GuardedClient() as client, pytest.raises(BlockedTarget) as info:
        client.get(f"http://{host}/latest/meta-data/")
    assert info.value.reason == "blocked_address"
    assert connects == []


def test_name_resolving_to_any_internal_address_is_refused(dns, connects):
    dns.table["internal.example"] = ["10.1.2.3"]
    dns.table["mixed.example"] = ["93.184.216.34", "192.168.0.10"]  # one bad answer is enough
    with GuardedClient() as client:
        for name in ("internal.example", "mixed.example"):
            with pytest.raises(BlockedTarget):
                client.get(f"https://{name}/")
    assert connects == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/file", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://user:pass@example.com/", "userinfo"),
        ("http://example.com@127.0.0.1/", "userinfo"),
        ("http:///path", "invalid_url"),
        ("http://exa mple.com/", "invalid_url"),
        ("http://1.2.3.999/", "invalid_url"),
        ("http://08.1/", "invalid_url"),
        ("not a url", "scheme"),
    ],
)
def test_malformed_or_disallowed_urls(url, reason, connects, dns):
    with pytest.raises(OutboundError) as info:
        check_url(url)
    assert info.value.reason == reason
    with GuardedClient(PRIVATE) as client, pytest.raises(OutboundError):
        client.get(url)  # allow_private lifts only the address check
    assert connects == []


def test_unresolvable_name_is_a_dns_error(dns):
    with pytest.raises(OutboundError) as info:
        check_url("https://nowhere.example/")
    assert info.value.reason == "dns"


def test_check_url_resolves_without_connecting(dns, connects):
    dns.table["public.example"] = ["93.184.216.34", "2606:2800:220:1::1"]
    url, addresses = check_url("https://public.example/hook?x=1")
    assert url == "https://public.example/hook?x=1"
    assert addresses == [
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:2800:220:1::1"),
    ]
    assert check_url("http://8.8.8.8/")[1] == [ipaddress.ip_address("8.8.8.8")]
    assert dns.lookups == ["public.example"]
    assert connects == []


# --- redirects into the internal network ----------------------------------------------------


def _first_hop_policy(server: _Server) -> OutboundPolicy:
    # Test seam: treat exactly this loopback endpoint as public, nothing else.
    return OutboundPolicy(extra_allowed=frozenset({f"{LOOPBACK}:{server.port}"}))


def test_redirect_from_allowed_host_to_internal_listener_is_refused(server, listener, connects):
    internal = f"http://{LOOPBACK}:{listener.getsockname()[1]}/admin"
    with GuardedClient(_first_hop_policy(server)) as client:
        assert client.get(server.url()).status_code == 200  # the seam admits the first hop
        with pytest.raises(BlockedTarget):
            client.get(server.url("/redirect?to=" + quote(internal)))
    assert [seen.path for seen in server.seen][-1].startswith("/redirect")
    assert_untouched(listener)
    assert {address[1] for address in connects} == {server.port}


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://2852039166/",  # 169.254.169.254 in decimal
        "http://internal.example/",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_metadata_or_internal_name_is_refused(server, dns, connects, location):
    dns.table["internal.example"] = ["10.0.0.7"]
    with GuardedClient(_first_hop_policy(server)) as client, pytest.raises(OutboundError) as info:
        client.get(server.url("/redirect?code=307&to=" + quote(location)))
    assert info.value.reason in {"blocked_address", "scheme"}
    assert connects == [(LOOPBACK, server.port)]


# --- DNS pinning ------------------------------------------------------------------------------


def test_name_is_resolved_once_and_connection_goes_to_the_checked_address(server, dns, connects):
    answers = iter([[LOOPBACK]])
    # A rebinding resolver: the first answer passes the check, later ones are internal.
    dns.table["rebind.example"] = lambda: next(answers, ["10.0.0.1"])
    with GuardedClient(_first_hop_policy(server)) as client:
        result = client.get(server.url(host="rebind.example"))
        assert result.status_code == 200
        assert result.url == server.url(host="rebind.example")
        assert dns.lookups == ["rebind.example"]
        assert server.seen[0].headers["Host"] == f"rebind.example:{server.port}"
        assert connects == [(LOOPBACK, server.port)]

        # A pooled keep-alive connection exists, yet the next request is checked afresh.
        with pytest.raises(BlockedTarget):
            client.get(server.url(host="rebind.example"))
    assert len(server.seen) == 1


def test_backend_refuses_a_connection_nobody_checked(listener):
    backend = outbound._PinnedBackend()
    with pytest.raises(BlockedTarget):
        backend.connect_tcp(LOOPBACK, listener.getsockname()[1])
    assert_untouched(listener)


def test_https_connects_to_pinned_address_but_verifies_the_hostname(tls, dns):
    server_context, client_context = tls
    sni: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: sni.append(name)
    dns.table.update({"secure.example": [LOOPBACK], "other.example": [LOOPBACK]})
    with running(server_context) as srv, GuardedClient(PRIVATE, verify=client_context) as client:
        result = client.get(srv.url(host="secure.example", scheme="https"))
        assert (result.status_code, result.text) == (200, "hello")
        assert sni == ["secure.example"]
        assert srv.seen[0].headers["Host"] == f"secure.example:{srv.port}"
        with pytest.raises(OutboundError) as info:
            client.get(srv.url(host="other.example", scheme="https"))
        assert info.value.reason == "tls"


# --- behaviour with allow_private=True ------------------------------------------------------


def test_get_returns_body_headers_and_user_agent(server):
    with GuardedClient(PRIVATE) as client:
        result = client.get(server.url(), headers={"User-Agent": "spoof", "Host": "evil"})
    assert result.status_code == 200
    assert result.content == b"hello" and result.text == "hello"
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    assert result.url == server.url()
    assert result.redirects == [] and not result.truncated
    assert 0 < result.elapsed < 2
    seen = server.seen[0]
    assert seen.headers["User-Agent"] == OutboundPolicy().user_agent
    assert seen.headers["Host"] == f"{LOOPBACK}:{server.port}"


def test_post_sends_body_and_preserves_name_based_host_header(server, dns):
    dns.table["blog.example"] = [LOOPBACK]
    with GuardedClient(PRIVATE) as client:
        result = client.post(
            server.url("/echo", host="blog.example"),
            content=b'{"ok": true}',
            headers={"Content-Type": "application/json"},
        )
    assert result.content == b'{"ok": true}'
    seen = server.seen[0]
    assert (seen.method, seen.body) == ("POST", b'{"ok": true}')
    assert seen.headers["Host"] == f"blog.example:{server.port}"
    assert seen.headers["Content-Type"] == "application/json"


def test_redirects_are_followed_up_to_the_cap(server):
    with GuardedClient(PRIVATE) as client:
        result = client.get(server.url("/chain?n=3"))
        assert (result.status_code, result.content) == (200, b"done")
        assert result.url == server.url("/chain?n=0")
        assert result.redirects == [server.url(f"/chain?n={n}") for n in (3, 2, 1)]
        for path in ("/chain?n=4", "/loop"):
            with pytest.raises(OutboundError) as info:
                client.get(server.url(path))
            assert info.value.reason == "too_many_redirects"
    no_redirects = OutboundPolicy(allow_private=True, max_redirects=0)
    with GuardedClient(no_redirects) as client, pytest.raises(OutboundError, match="redirects"):
        client.get(server.url("/chain?n=1"))


def test_redirect_not_followed_when_disabled(server):
    with GuardedClient(PRIVATE) as client:
        result = client.get(server.url("/redirect?to=/hello"), follow_redirects=False)
    assert result.status_code == 302
    assert result.headers["location"] == "/hello"
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("code", "method", "body"),
    [
        (301, "GET", b""),
        (302, "GET", b""),
        (303, "GET", b""),
        (307, "POST", b"p"),
        (308, "POST", b"p"),
    ],
)
def test_post_redirect_method_rules(server, code, method, body):
    with GuardedClient(PRIVATE) as client:
        client.post(
            server.url(f"/redirect?code={code}&to=/echo"),
            content=b"p",
            headers={"Content-Type": "text/plain"},
        )
    second = server.seen[1]
    assert (second.method, second.body) == (method, body)
    assert ("Content-Type" in second.headers) == (method == "POST")


def test_cross_origin_redirect_drops_credentials(server, dns):
    dns.table["other.example"] = [LOOPBACK]
    target = server.url(host="other.example")
    with GuardedClient(PRIVATE) as client:
        client.get(
            server.url("/redirect?to=" + quote(target)), headers={"Authorization": "Bearer x"}
        )
        client.get(server.url("/redirect?to=/hello"), headers={"Authorization": "Bearer y"})
    assert server.seen[0].headers["Authorization"] == "Bearer x"
    assert "Authorization" not in server.seen[1].headers
    assert server.seen[3].headers["Authorization"] == "Bearer y"  # same origin keeps it


@pytest.mark.parametrize("path", ["/big?size=2000", "/stream?size=2000"])
def test_body_over_the_cap_is_refused_or_truncated(server, path):
    policy = OutboundPolicy(allow_private=True, max_bytes=1000)
    with GuardedClient(policy) as client:
        with pytest.raises(OutboundError) as info:
            client.get(server.url(path))
        assert info.value.reason == "too_large"
        result = client.get(server.url(path), truncate=True)
        assert result.truncated and len(result.content) == 1000
        exact = client.get(server.url("/big?size=1000"))
        assert len(exact.content) == 1000 and not exact.truncated


def test_silent_server_times_out_quickly(server, listener):
    policy = OutboundPolicy(allow_private=True, connect_timeout=0.2, read_timeout=0.2)
    with GuardedClient(policy) as client:
        for url in (server.url("/hang"), f"http://{LOOPBACK}:{listener.getsockname()[1]}/"):
            started = time.monotonic()
            with pytest.raises(OutboundError) as info:
                client.get(url)
            assert info.value.reason == "timeout"
            assert time.monotonic() - started < 1.5


def test_slow_drip_is_cut_by_the_total_deadline(server):
    policy = OutboundPolicy(allow_private=True, read_timeout=0.5, total_timeout=0.4)
    started = time.monotonic()
    with GuardedClient(policy) as client, pytest.raises(OutboundError) as info:
        client.get(server.url("/drip"))
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 1.5


def test_refused_connection_and_garbage_response_are_mapped(listener):
    free = socket.socket()
    free.bind((LOOPBACK, 0))
    closed_port = free.getsockname()[1]
    free.close()

    def answer_garbage() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"this is not http\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    with GuardedClient(PRIVATE) as client:
        with pytest.raises(OutboundError) as refused:
            client.get(f"http://{LOOPBACK}:{closed_port}/")
        with pytest.raises(OutboundError) as garbage:
            client.get(f"http://{LOOPBACK}:{listener.getsockname()[1]}/")
    thread.join(2)
    assert refused.value.reason == "connect"
    assert garbage.value.reason == "protocol"
    assert not isinstance(refused.value.__cause__, OutboundError)  # original kept for logs


def test_keep_alive_connection_is_reused(server):
    with GuardedClient(PRIVATE) as client:
        client.get(server.url())
        client.get(server.url())
    assert server.seen[0].client_port == server.seen[1].client_port


def test_text_uses_declared_charset_with_utf8_fallback():
    def result(content_type: str, content: bytes) -> FetchResult:
        return FetchResult(
            "http://x/", 200, httpx.Headers({"content-type": content_type}), content, 0.0
        )

    assert result("text/plain; charset=iso-8859-1", "café".encode("latin-1")).text == "café"
    assert result("text/plain; charset=bogus", "café".encode()).text == "café"
    assert result("text/html", b"\xff ok").text == "\ufffd ok"


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        OutboundPolicy(read_timeout=0)
    with pytest.raises(ValueError):
        OutboundPolicy(max_redirects=-1)
    assert OutboundPolicy(connect_timeout=1, read_timeout=2).deadline_seconds == 5


# --- properties ---------------------------------------------------------------------------------


@st.composite
def loopback_urls(draw: st.DrawFn) -> str:
    addr = ipaddress.IPv4Address(draw(st.integers(0x7F00_0000, 0x7FFF_FFFF)))
    n, octets = int(addr), addr.packed
    host = draw(
        st.sampled_from(
            [
                str(addr),
                str(n),
                hex(n),
                ".".join(f"0{o:o}" for o in octets),
                ".".join(hex(o) for o in octets),
                f"{octets[0]}.{n & 0xFF_FFFF}",
                f"0x7f.{n & 0xFF_FFFF:#x}",
                f"{octets[0]}.{octets[1]}.{n & 0xFFFF}",
                f"{addr}.",
                f"[::ffff:{addr}]",
                f"[::ffff:{n >> 16:x}:{n & 0xFFFF:x}]",
                f"[64:ff9b::{addr}]",
                f"[2002:{n >> 16:x}:{n & 0xFFFF:x}::1]",
            ]
        )
    )
    port = draw(st.sampled_from(["", ":80", ":8080"]))
    return f"{draw(st.sampled_from(['http', 'https']))}://{host}{port}/"


@settings(max_examples=300, deadline=None)
@given(loopback_urls())
def test_every_loopback_spelling_is_refused(url):
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        expected: type[OutboundError] = OutboundError  # httpx rejects it outright
    else:
        expected = BlockedTarget
    with pytest.raises(expected):
        check_url(url)


BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
        "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    )
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(BLOCKED_NETWORKS).flatmap(
        lambda net: st.integers(int(net.network_address), int(net.broadcast_address)).map(
            ipaddress.ip_address
        )
    )
)
def test_addresses_in_blocked_networks_are_never_public(addr):
    assert not is_public_address(addr)
    host = f"[{addr}]" if addr.version == 6 else str(addr)
    with pytest.raises(BlockedTarget):
        check_url(f"http://{host}/")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
def test_ipv6_wrappers_are_judged_by_the_embedded_ipv4(v4):
    n = int(v4)
    assert is_public_address(ipaddress.IPv6Address(f"::ffff:{v4}")) == is_public_address(v4)
    assert is_public_address(ipaddress.IPv6Address(f"64:ff9b::{v4}")) == is_public_address(v4)
    if not is_public_address(v4):
        assert not is_public_address(ipaddress.IPv6Address(f"2002:{n >> 16:x}:{n & 0xFFFF:x}::1"))


def test_ordinary_public_addresses_are_allowed():
    for text in ("8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:1.1.1.1"):
        assert is_public_address(ipaddress.ip_address(text)), text
