"""gunicorn's asyncio HTTP/1.1 protocol, with what it lacks against slow clients.

gunicorn's ASGI protocol reads requests in the event loop (so a slow client costs a
socket, not a thread) and caps each header line, but it waits for a new connection's
first request forever, lets the header block grow to ~800 KB, and answers its own
errors in text/plain. This subclass adds a deadline for the first request's headers
(later ones are bound by gunicorn's keep-alive timer, which runs from the previous
response until the next request's headers are complete), a cap on the whole header
block, and problem+json for every error written before the application runs.

It overrides gunicorn methods that are not a public API (`_on_headers_complete`,
`_keepalive_timeout`, `_send_error_response`, `_is_websocket_upgrade`,
`_handle_h1c_exception`); pyproject.toml
pins gunicorn's major version and tests/security/test_abuse_server.py exercises each
one over a socket.
"""

from __future__ import annotations

from gunicorn.asgi.parser import LimitRequestHeaders
from gunicorn.asgi.protocol import ASGIProtocol

from api.serving import slow_clients
from api.serving.problems import raw_problem_response

# gunicorn looks for its C parser (gunicorn_h1c) on the class it is asked from but reads
# the answer from ASGIProtocol's own attributes, so asked from a subclass it never finds
# it and parses in Python. Asked once here, on ASGIProtocol itself, every subclass sees it.
ASGIProtocol._check_h1c_protocol_available()


class GuardedProtocol(ASGIProtocol):
    def __init__(self, worker):
        super().__init__(worker)
        front = worker.asgi  # api/serving/bridge.py BufferedWSGI
        self._limits = front.limits
        self._tally = front.tally
        self._header_bytes = 0  # bytes of a request whose headers are not complete yet
        self._header_timer = None

    def connection_made(self, transport):
        super().connection_made(transport)
        self._header_timer = self.worker.loop.call_later(
            self._limits.header_timeout, self._headers_late
        )

    def data_received(self, data):
        super().data_received(data)
        # Still no complete headers after this data: it all counts towards the cap.
        if self._current_request is None and not self._closed and self._websocket is None:
            self._header_bytes += len(data)
            if self._header_bytes > self._limits.max_header_bytes:
                self._send_error_response(431, "")
                self._hang_up()

    def _on_headers_complete(self):
        # A header block that arrived in one read was never counted by data_received.
        # Raised from here, gunicorn answers 431 through _send_error_response.
        if _header_block_size(self._callback_parser) > self._limits.max_header_bytes:
            raise LimitRequestHeaders("Request header block is too large")
        self._header_bytes = 0
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        return super()._on_headers_complete()

    def _headers_late(self):
        self._header_timer = None
        if self._closed or self._current_request is not None:
            return
        if self._header_bytes:
            self._tally.count(slow_clients.HEADER_DEADLINE)
            self._write_problem(408, "The request headers did not arrive in time.")
        else:
            self._tally.count(slow_clients.IDLE)
        self._hang_up()

    def _keepalive_timeout(self):
        # A request begun on a kept-alive connection but not finished in time.
        if self._header_bytes and not self._closed:
            self._tally.count(slow_clients.HEADER_DEADLINE)
            self._write_problem(408, "The request headers did not arrive in time.")
        super()._keepalive_timeout()

    def connection_lost(self, exc):
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _is_websocket_upgrade(self, request):
        # The app serves no WebSocket: such a request goes to Flask like any other, as
        # under the gthread worker (gunicorn would otherwise answer an empty 403).
        return False

    def _handle_h1c_exception(self, exc):
        # gunicorn_h1c (0.6) raises a plain InvalidHeader for a transfer coding it does
        # not know; RFC 9112 section 6.1 (and gunicorn's Python parser) answer 501.
        if str(exc) == "Unsupported Transfer-Encoding":
            self._send_error_response(501, "")
            self._close_transport()
            return True
        return super()._handle_h1c_exception(exc)

    def _send_error_response(self, status, message, extra_headers=()):
        # gunicorn's parser errors (400, 414, 431, 501) and its 500 when the app fails
        # before answering. `message` may quote the request: it is not sent.
        if status in (413, 414, 431):
            self._tally.count(slow_clients.TOO_LARGE)
        elif status in (400, 501):
            self._tally.count(slow_clients.MALFORMED)
        self._write_problem(status, extra_headers=extra_headers)

    def _write_problem(self, status, detail=None, extra_headers=()):
        self._safe_write(raw_problem_response(status, detail, extra_headers))

    def _hang_up(self):
        self._close_transport()
        if self._request_ready is not None:
            self._request_ready.set()  # the connection loop wakes, sees it closed, ends


def _header_block_size(parser) -> int:
    """The request line and header fields as sent, give or take optional whitespace."""
    line = len(parser.method or b"") + len(parser.path or b"") + len(" HTTP/1.1\r\n ")
    return line + sum(len(name) + len(value) + 4 for name, value in parser.headers)
