"""The buffering bridge between gunicorn's event loop and the Flask app, driven directly
with ASGI messages (the real-socket tests are in tests/security/test_abuse_server.py)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from api.serving import slow_clients
from api.serving.bridge import BufferedWSGI
from api.serving.limits import ReadLimits
from api.serving.slow_clients import SlowClientTally


class RecordingApp:
    """A WSGI app that echoes what it was given."""

    def __init__(self, headers=None, chunks=None):
        self.environ = None
        self.headers = headers
        self.chunks = chunks

    def __call__(self, environ, start_response):
        self.environ = environ
        body = environ["wsgi.input"].read()
        start_response("200 OK", self.headers or [("Content-Type", "text/plain")])
        return self.chunks if self.chunks is not None else [b"got ", body]


def scope(method="POST", raw_path=b"/v1/x", headers=(), query=b""):
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": list(headers),
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.9", 5555),
    }


def serve(app, request_scope, messages, limits=None):
    """Run one request; `messages` are what receive() returns (then it waits forever)."""
    front = BufferedWSGI(app, threads=1, limits=limits or ReadLimits(max_body_bytes=100))
    pending = list(messages)
    sent = []

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    try:
        asyncio.run(front(request_scope, receive, send))
    finally:
        front.close()
    start = sent[0]
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:]), front


def test_a_body_in_pieces_reaches_the_app_whole_with_its_length():
    app = RecordingApp()
    status, headers, body, _ = serve(
        app,
        scope(headers=[(b"transfer-encoding", b"chunked"), (b"content-type", b"text/plain")]),
        [
            {"type": "http.request", "body": b"hello ", "more_body": True},
            {"type": "http.request", "body": b"world", "more_body": False},
        ],
    )
    assert (status, body) == (200, b"got hello world")
    assert headers["content-length"] == str(len(b"got hello world"))  # added: body is whole
    assert headers["server"] == "gunicorn"
    assert app.environ["CONTENT_LENGTH"] == "11"
    assert app.environ["CONTENT_TYPE"] == "text/plain"
    assert "HTTP_TRANSFER_ENCODING" not in app.environ


def test_environ_is_the_one_gunicorn_builds_for_wsgi():
    app = RecordingApp()
    serve(
        app,
        scope(
            method="GET",
            raw_path=b"/v1/tags/caf%C3%A9",
            query=b"a=1&b=%20",
            headers=[(b"x-forwarded-for", b"1.2.3.4"), (b"x-forwarded-for", b"5.6.7.8")],
        ),
        [{"type": "http.request", "body": b"", "more_body": False}],
    )
    environ = app.environ
    assert environ["PATH_INFO"] == "/v1/tags/caf\u00c3\u00a9"  # bytes as latin-1 (PEP 3333)
    assert environ["QUERY_STRING"] == "a=1&b=%20"
    assert environ["RAW_URI"] == "/v1/tags/caf%C3%A9?a=1&b=%20"
    assert environ["HTTP_X_FORWARDED_FOR"] == "1.2.3.4,5.6.7.8"
    assert (environ["REMOTE_ADDR"], environ["SERVER_PORT"]) == ("127.0.0.9", "8000")
    assert "CONTENT_LENGTH" not in environ


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    app = RecordingApp()
    status, headers, body, front = serve(
        app,
        scope(headers=[(b"content-length", b"101")]),
        [{"type": "http.disconnect"}],  # the client hung up once it had the answer
    )
    assert status == 413 and app.environ is None
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["detail"] == "The request body is larger than 100 bytes."
    assert front.tally.counts == {slow_clients.TOO_LARGE: 1}


def test_a_chunked_body_over_the_cap_is_refused_not_cut():
    app = RecordingApp()
    status, _, body, _ = serve(
        app,
        scope(headers=[(b"transfer-encoding", b"chunked")]),
        [
            {"type": "http.request", "body": b"a" * 60, "more_body": True},
            {"type": "http.request", "body": b"a" * 60, "more_body": False},
        ],
    )
    assert status == 413 and app.environ is None
    assert json.loads(body)["type"] == "/problems/content-too-large"


def test_a_body_that_stalls_past_its_deadline_gets_408():
    app = RecordingApp()
    status, _, body, front = serve(
        app,
        scope(headers=[(b"content-length", b"50")]),
        [{"type": "http.request", "body": b"a", "more_body": True}],  # then nothing
        limits=ReadLimits(max_body_bytes=100, body_timeout=0.05),
    )
    assert status == 408 and app.environ is None
    assert json.loads(body)["detail"] == "The request body did not arrive in time."
    assert front.tally.counts == {slow_clients.BODY_DEADLINE: 1}


@pytest.mark.parametrize(("method", "status"), [("HEAD", 200), ("GET", 304)])
def test_no_length_is_invented_for_answers_without_a_body(method, status):
    class NoBody:
        def __call__(self, environ, start_response):
            start_response(f"{status} X", [])
            return []

    got_status, headers, _, _ = serve(
        NoBody(), scope(method=method), [{"type": "http.request", "body": b""}]
    )
    assert got_status == status and "content-length" not in headers


def test_the_tally_logs_one_line_per_window(caplog):
    tally = SlowClientTally()
    for reason in (slow_clients.HEADER_DEADLINE, slow_clients.HEADER_DEADLINE, slow_clients.IDLE):
        tally.count(reason)
    with caplog.at_level(logging.WARNING, logger="marginalia.server"):
        tally.flush()
        tally.flush()  # nothing new: no line
    (record,) = caplog.records
    assert record.getMessage() == "cut 3 slow or oversized requests"
    assert record.fields["cut"] == {"header_deadline": 2, "idle": 1}


def test_the_guarded_protocol_parses_with_gunicorns_c_parser():
    # gunicorn asked from a subclass never found gunicorn_h1c and parsed every request in
    # Python (~10% of a comment's CPU under load); api/serving/protocol.py asks once on
    # ASGIProtocol itself.
    from gunicorn.config import Config
    from gunicorn_h1c import H1CProtocol

    from api.serving.protocol import GuardedProtocol

    protocol = GuardedProtocol.__new__(GuardedProtocol)
    protocol.cfg = Config()
    protocol._on_headers_complete = protocol._on_body = protocol._on_message_complete = None
    protocol._setup_callback_parser()
    assert isinstance(protocol._callback_parser, H1CProtocol)
