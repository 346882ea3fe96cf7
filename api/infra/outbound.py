"""The guarded HTTP client: every outbound fetch Marginalia makes goes through here.

Pingbacks, webmentions, webhooks and JWKS all fetch URLs chosen by strangers, which makes
the server a proxy into its own network unless each target is vetted (the WordPress
pingback SSRF, CVE-2013-0235). The rules:

* http/https only, a host is required, no ``user:pass@``.
* The host is resolved once; if *any* address is not globally routable the request is
  refused. IPv6 forms that embed an IPv4 address are judged by that address, and legacy
  IPv4 spellings (``2130706433``, ``0x7f.1``, ``127.1``) are parsed here, not left to libc.
* The socket is opened to exactly the addresses that were checked: httpx/httpcore are
  given a network backend that refuses to resolve anything itself and connects only to
  the addresses pinned for the current hop, so DNS rebinding between check and connect
  is impossible. The URL keeps its hostname, so the Host header, TLS SNI, certificate
  verification and the keep-alive pool key all stay on the real name.
* Redirects are followed by hand, each hop re-checked with the same rules.
* Connect/read timeouts plus a hard deadline on every socket operation, and a byte cap.
"""

from __future__ import annotations

import codecs
import contextvars
import functools
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import unquote

import httpcore
import httpx

__all__ = [
    "BlockedTarget",
    "FetchResult",
    "GuardedClient",
    "OutboundError",
    "OutboundPolicy",
    "check_url",
    "is_public_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private: bool = False
    max_redirects: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_bytes: int = 1_000_000
    user_agent: str = "Marginalia/0.1 (+linkbacks; webhooks)"
    # Wall-clock cap for a whole request including redirects; None means
    # connect_timeout + 2 * read_timeout. Stops slow-drip servers pinning a worker.
    total_timeout: float | None = None
    # TEST-ONLY seam: "ip:port" / "[ipv6]:port" endpoints exempt from the address check,
    # so a loopback test server can play a "public" first hop. Never set in production.
    extra_allowed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.max_redirects < 0 or self.max_bytes < 0:
            raise ValueError("max_redirects and max_bytes must be >= 0")
        if min(self.connect_timeout, self.read_timeout, self.total_timeout or 1) <= 0:
            raise ValueError("timeouts must be positive")

    @property
    def deadline_seconds(self) -> float:
        if self.total_timeout is not None:
            return self.total_timeout
        return self.connect_timeout + 2 * self.read_timeout


class OutboundError(Exception):
    """An outbound fetch failed or was refused; ``reason`` is a short machine code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class BlockedTarget(OutboundError):
    """The target resolves to an address we refuse to talk to."""

    def __init__(self, message: str) -> None:
        super().__init__("blocked_address", message)


@dataclass
class FetchResult:
    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes
    elapsed: float
    redirects: list[str] = field(default_factory=list)  # URLs that answered with a redirect
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type")), errors="replace")


def _charset(content_type: str | None) -> str:
    if not content_type:
        return "utf-8"
    message = Message()
    message["content-type"] = content_type
    try:
        return codecs.lookup(message.get_content_charset() or "utf-8").name
    except LookupError:
        return "utf-8"


# --- address policy ---------------------------------------------------------------------

# Spelled out rather than trusting ipaddress.is_global alone: its tables differ between
# Python patch releases and miss multicast.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and deprecated IPv4-compatible addresses
        "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_public_address(addr: IPAddress) -> bool:
    """True if ``addr`` is globally routable unicast, judging embedded IPv4 too."""
    if isinstance(addr, ipaddress.IPv6Address):
        # These forms reach the embedded IPv4 host, so that address is what counts.
        if addr.ipv4_mapped is not None:
            return is_public_address(addr.ipv4_mapped)
        if addr in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(addr) & 0xFFFF_FFFF))
        embedded = [*(addr.teredo or ()), *([addr.sixtofour] if addr.sixtofour else [])]
        if not all(is_public_address(v4) for v4 in embedded):
            return False
        blocked: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = _BLOCKED_V6
    else:
        blocked = _BLOCKED_V4
    if any(addr in net for net in blocked):
        return False
    return addr.is_global and not addr.is_multicast


_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?", re.I)
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?", re.I)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address:
    """Parse inet_aton spellings (decimal, octal, hex, 1-4 parts) as browsers do."""
    parts = host.removesuffix(".").split(".")
    values = []
    for part in parts:
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            values.append(int(part, 8))
        else:
            values.append(int(part))
    if (
        len(values) > 4
        or any(v > 255 for v in values[:-1])
        or values[-1] >= 256 ** (5 - len(values))
    ):
        raise ValueError(host)
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        if ":" in host:
            return (ipaddress.IPv6Address(unquote(host)),)
        if _NUMERIC_HOST.fullmatch(host):
            return (_legacy_ipv4(host),)
    except ValueError:
        raise OutboundError("invalid_url", f"invalid IP address {host!r}") from None
    if not _HOSTNAME.fullmatch(host):
        raise OutboundError("invalid_url", f"invalid host name {host!r}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundError("dns", f"could not resolve {host!r}") from None
    addresses = dict.fromkeys(
        ipaddress.ip_address(info[4][0])
        for info in infos
        if info[0] in (socket.AF_INET, socket.AF_INET6)
    )
    if not addresses:
        raise OutboundError("dns", f"no usable address for {host!r}")
    return tuple(addresses)


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # exactly as httpcore will name the origin: IDNA ASCII, no brackets
    port: int
    addresses: tuple[IPAddress, ...]


def _endpoint(addr: IPAddress, port: int) -> str:
    return f"[{addr}]:{port}" if addr.version == 6 else f"{addr}:{port}"


def _check(url: str | httpx.URL, policy: OutboundPolicy) -> _Target:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise OutboundError("invalid_url", "malformed URL") from None
    if parsed.scheme not in ("http", "https"):
        raise OutboundError("scheme", "only http and https URLs are allowed")
    if not parsed.raw_host:
        raise OutboundError("invalid_url", "URL has no host")
    if parsed.userinfo:
        raise OutboundError("userinfo", "credentials in URLs are not allowed")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not policy.allow_private:
        for addr in addresses:
            if not is_public_address(addr) and _endpoint(addr, port) not in policy.extra_allowed:
                # Deliberately vague: don't tell users what our internal names resolve to.
                raise BlockedTarget(f"{host} resolves to a non-public address")
    return _Target(parsed, host, port, addresses)


def check_url(url: str, policy: OutboundPolicy | None = None) -> tuple[str, list[IPAddress]]:
    """Validate and resolve ``url`` without connecting (e.g. at webhook registration).

    Returns the normalised URL and the checked addresses; raises OutboundError.
    """
    target = _check(url, policy or OutboundPolicy())
    return str(target.url), list(target.addresses)


# --- pinned transport -------------------------------------------------------------------


@dataclass(frozen=True)
class _Hop:
    target: _Target
    deadline: float


# httpcore connects synchronously in the calling thread, so a context variable reliably
# carries "what was checked for this hop" down into the network backend.
_current_hop: contextvars.ContextVar[_Hop | None] = contextvars.ContextVar(
    "marginalia_outbound_hop", default=None
)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    hop = _current_hop.get()
    if hop is None:
        return timeout
    left = hop.deadline - time.monotonic()
    if left <= 0:
        raise expired("total time limit exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Clamps every socket operation to the current request's overall deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the addresses checked for the current hop; never resolves."""

    def __init__(self) -> None:
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        hop = _current_hop.get()
        if hop is None or (host, port) != (hop.target.host, hop.target.port):
            raise BlockedTarget("connection to an unchecked host refused")  # fail closed
        error: Exception | None = None
        for addr in hop.target.addresses:
            try:
                stream = self._sync.connect_tcp(
                    str(addr),
                    port,
                    timeout=_bounded(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
            else:
                return _DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise BlockedTarget("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._sync.sleep(seconds)


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        self._stream.close()


class _PinnedTransport(httpx.BaseTransport):
    # Our own minimal transport (instead of httpx.HTTPTransport) because that one offers no
    # way to plug in a network backend. httpcore errors surface raw; GuardedClient maps them.
    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=50,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        response = self._pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# --- the client -------------------------------------------------------------------------

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding", "content-encoding")
_CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")
_TRANSPORT_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)
_MESSAGES = {
    "timeout": "the remote server took too long",
    "tls": "TLS handshake or certificate verification failed",
    "connect": "could not connect to the remote server",
    "protocol": "the remote server sent an invalid HTTP response",
    "invalid_url": "the URL could not be used",
    "network": "network error while talking to the remote server",
}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
        return "timeout"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return "tls"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        return "connect"
    if isinstance(exc, httpx.ProtocolError | httpcore.ProtocolError):
        return "protocol"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | httpcore.UnsupportedProtocol):
        return "invalid_url"
    return "network"


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle is slow; an SSLContext is safe to share between clients.
    return httpx.create_ssl_context(verify=True, trust_env=False)


def _read_capped(response: httpx.Response, limit: int, truncate: bool) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise OutboundError("too_large", f"response body exceeds {limit} bytes")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            if not truncate:
                raise OutboundError("too_large", f"response body exceeds {limit} bytes")
            return bytes(body[:limit]), True
    return bytes(body), False


class GuardedClient:
    """SSRF-safe HTTP client with keep-alive; thread-safe like httpx.Client.

    ``verify`` is an SSLContext (e.g. a private CA) or a bool; it defaults to certifi.
    """

    def __init__(
        self, policy: OutboundPolicy | None = None, *, verify: ssl.SSLContext | bool = True
    ) -> None:
        self.policy = policy or OutboundPolicy()
        if isinstance(verify, ssl.SSLContext):
            ssl_context = verify
        elif verify:
            ssl_context = _default_ssl_context()
        else:
            ssl_context = httpx.create_ssl_context(verify=False, trust_env=False)
        self._client = httpx.Client(
            transport=_PinnedTransport(ssl_context),
            follow_redirects=False,
            trust_env=False,  # env proxies would send the request somewhere unchecked
            timeout=httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout),
            # Cookies set by one remote must never be replayed to another.
            cookies=httpx.Cookies(CookieJar(DefaultCookiePolicy(allowed_domains=[]))),
            # identity: bound memory by what arrives, not by what a gzip bomb inflates to.
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "identity"},
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | httpx.Headers | None = None,
        content: bytes | str | None = None,
        follow_redirects: bool = True,
        truncate: bool = False,
    ) -> FetchResult:
        policy = self.policy
        started = time.monotonic()
        deadline = started + policy.deadline_seconds
        method = method.upper()
        request_headers = httpx.Headers(headers)
        request_headers.pop("host", None)  # Host always follows the checked URL
        request_headers["User-Agent"] = policy.user_agent
        redirects: list[str] = []
        target = _check(url, policy)
        while True:
            token = _current_hop.set(_Hop(target, deadline))
            try:
                request = self._client.build_request(
                    method, target.url, headers=request_headers, content=content
                )
                response = self._client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if not (
                        follow_redirects and location and response.status_code in _REDIRECT_CODES
                    ):
                        body, truncated = _read_capped(response, policy.max_bytes, truncate)
                        return FetchResult(
                            url=str(target.url),
                            status_code=response.status_code,
                            headers=response.headers,
                            content=body,
                            elapsed=time.monotonic() - started,
                            redirects=redirects,
                            truncated=truncated,
                        )
                    status = response.status_code
                finally:
                    response.close()
            except _TRANSPORT_ERRORS as exc:
                reason = _reason(exc)
                raise OutboundError(reason, f"{_MESSAGES[reason]} ({target.host})") from exc
            finally:
                _current_hop.reset(token)

            if len(redirects) >= policy.max_redirects:
                raise OutboundError(
                    "too_many_redirects", f"more than {policy.max_redirects} redirects"
                )
            redirects.append(str(target.url))
            try:
                next_url = target.url.join(location)
            except httpx.InvalidURL:
                raise OutboundError("invalid_url", "redirect to a malformed URL") from None
            if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                method, content = "GET", None
                for name in _BODY_HEADERS:
                    request_headers.pop(name, None)
            next_target = _check(next_url, policy)
            if (next_target.url.scheme, next_target.host, next_target.port) != (
                target.url.scheme,
                target.host,
                target.port,
            ):
                for name in _CREDENTIAL_HEADERS:
                    request_headers.pop(name, None)
            target = next_target

    def get(self, url: str, **kwargs: Any) -> FetchResult:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> FetchResult:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GuardedClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
