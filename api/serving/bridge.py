"""The ASGI app gunicorn's event loop calls: it reads the whole request body there, under
a deadline and the size cap, and only then runs the Flask app on a thread.

A Flask thread therefore never waits on a client: not for the body (read here first),
not for a slow reader (the response is collected in the thread and handed back whole;
the event loop writes it out). The responses here are JSON pages and a few static
files of at most ~2 MB, so holding each in memory is cheaper than a thread per reader.

Bridges such as a2wsgi read the body lazily from the WSGI thread, so a client dripping
its body would hold that thread: the very attack this exists to stop.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from api.serving import slow_clients
from api.serving.limits import ReadLimits
from api.serving.problems import SERVER, problem_body, problem_headers
from api.serving.slow_clients import SlowClientTally
from api.serving.threads import AppThreads

# After refusing a body the client is probably still sending it. Closing with its
# bytes unread makes the kernel answer with a reset, and most clients then report
# the reset instead of our 413; reading and dropping them for a moment first lets the
# answer through (nginx calls this lingering close).
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 * 1024 * 1024


class ClientGone(Exception):
    """The connection closed (or gunicorn gave up on it) before the body was complete."""


class BodyTooLarge(Exception):
    def __init__(self, *, finished: bool):
        super().__init__()
        self.finished = finished  # the client sent it all: nothing left to linger for


class BufferedWSGI:
    def __init__(
        self,
        wsgi_app: Callable,
        *,
        threads: int,
        limits: ReadLimits,
        multiprocess: bool = False,
    ):
        self.wsgi_app = wsgi_app
        self.limits = limits
        self.multiprocess = multiprocess
        self.tally = SlowClientTally()
        self.threads = AppThreads(threads, self.call_app, name="wsgi")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":  # no WebSocket routes; lifespan is off (api/server.py)
            return
        limit = self.limits.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            self.tally.count(slow_clients.TOO_LARGE)
            await _answer_problem(send, 413, _too_large(limit))
            await _linger(receive)
            return
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                body = await _read_body(receive, limit)
        except BodyTooLarge as refused:  # chunked: no length was declared
            self.tally.count(slow_clients.TOO_LARGE)
            await _answer_problem(send, 413, _too_large(limit))
            if not refused.finished:
                await _linger(receive)
            return
        except TimeoutError:
            self.tally.count(slow_clients.BODY_DEADLINE)
            await _answer_problem(send, 408, "The request body did not arrive in time.")
            return
        except ClientGone:
            return
        environ = build_environ(scope, body, multiprocess=self.multiprocess)
        status, headers, payload = await self.threads.submit(environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def call_app(self, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Run the WSGI app to the end of its response, on a pool thread."""
        started: list = []

        def start_response(status, headers, exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return chunks.append  # PEP 3333's write(), for apps that still use it

        chunks: list[bytes] = []
        iterable = self.wsgi_app(environ, start_response)
        try:
            chunks.extend(chunk for chunk in iterable if chunk)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        status_line, header_list = started
        status = int(status_line[:3])
        payload = b"".join(chunks)
        names = {name.lower() for name, _ in header_list}
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in header_list]
        if "server" not in names:
            headers.append((b"Server", SERVER.encode()))
        if "content-length" not in names and _has_body(environ["REQUEST_METHOD"], status):
            # The whole body is here: a length lets the connection be kept alive.
            headers.append((b"Content-Length", str(len(payload)).encode()))
        return status, headers, payload

    def close(self) -> None:
        self.threads.close()


async def _read_body(receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(finished=not message.get("more_body", False))
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _linger(receive) -> None:
    drained = 0
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while drained < LINGER_BYTES:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                drained += len(message.get("body", b""))
    except TimeoutError:
        return


async def _answer_problem(send, status: int, detail: str) -> None:
    body = problem_body(status, detail)
    headers = [(name.encode(), value.encode()) for name, value in problem_headers(body)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


def _declared_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value)  # gunicorn's parser accepts digits only
    return None


def _has_body(method: str, status: int) -> bool:
    return method != "HEAD" and status >= 200 and status not in (204, 304)


def build_environ(scope, body: bytes, *, multiprocess: bool) -> dict:
    """The PEP 3333 environ of a request whose body is already read.

    PATH_INFO is the raw path percent-decoded to bytes, then read as latin-1, as
    gunicorn's WSGI workers build it (the ASGI `path` is decoded as UTF-8, lossily).
    The body arrives whole, so it has a length whatever framing it came in.
    """
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope["query_string"].decode("latin-1")
    server_host, server_port = scope.get("server") or ("localhost", 80)
    client_host, client_port = scope.get("client") or ("", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": raw_path.decode("latin-1") + (f"?{query}" if query else ""),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "SERVER_NAME": server_host,
        "SERVER_PORT": str(server_port),
        "REMOTE_ADDR": client_host,
        "REMOTE_PORT": str(client_port),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            # Whatever the framing, the body above is complete and this is its length.
            environ["CONTENT_LENGTH"] = str(len(body))
            continue
        if key != "CONTENT_TYPE":
            key = f"HTTP_{key}"
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ
