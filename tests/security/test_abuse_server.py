"""Hostile clients against the real server (`marginalia serve`, on 127.0.0.1): slow
headers, slow bodies and idle sockets cost no request thread, so an honest client is
still served at once; and every error raised before Flask is problem+json.

The attacks are bounded: at most 250 sockets, for ATTACK_SECONDS each (5 s; the mixed
one at least 12 s, so that the 10 s header deadline cuts the attackers and they
reconnect while the probes run). A held connection costs the server the same at any
second of the attack, so a longer hold shows nothing new in CI; acceptance 1 asks for
30 s, run by hand with MARGINALIA_ABUSE_SECONDS=30.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import create_engine, text

from api.demo.loader import POST_SLUG
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, TEST_REDIS_URL
from tests.e2e.conftest import Running, free_port, wait_until_up
from tests.security.hostile_clients import Horde, allow_open_files, probe

ATTACK_SECONDS = float(os.environ.get("MARGINALIA_ABUSE_SECONDS", "5"))
SLOW_HEADERS = b"GET /v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
SLOW_BODY = (
    f"POST /v1/posts/{POST_SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
).encode()


def _env(tmp_path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARGINALIA_")}
    env.update(
        {
            "MARGINALIA_INSTANCE_PATH": str(tmp_path / "instance"),
            "MARGINALIA_PORT": str(free_port()),
            "MARGINALIA_LOG_LEVEL": "WARNING",
            "MARGINALIA_SECRET_KEY": "abuse-secret",
            **extra,
        }
    )
    return env


def _start(env, *args) -> tuple[Running, int]:
    server = Running(env, "serve", *args)
    wait_until_up(f"http://127.0.0.1:{env['MARGINALIA_PORT']}", server)
    return server, int(env["MARGINALIA_PORT"])


@pytest.fixture(scope="module", params=["embedded", "workers-2"])
def attacked(request, tmp_path_factory, worker_id):
    """The server under attack: the embedded default (SQLite, task consumer inline), and
    `serve --workers 2` (on the PostgreSQL leg with PostgreSQL and Redis, as deployed)."""
    allow_open_files(1024)
    tmp_path = tmp_path_factory.mktemp(request.param)
    env, args, schema = _env(tmp_path), [], None
    if request.param == "workers-2":
        args = ["--workers", "2"]
        if ON_POSTGRES:
            schema = f"abuse_{uuid.uuid4().hex[:10]}"
            engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            env["MARGINALIA_DATABASE_URL"] = (
                f"{TEST_DATABASE_URL}?options={quote(f'-csearch_path={schema}')}"
            )
        if TEST_REDIS_URL:
            parts = urlsplit(TEST_REDIS_URL)
            number = 14 + (0 if worker_id == "master" else int(worker_id.removeprefix("gw")))
            env["MARGINALIA_REDIS_URL"] = f"{parts.scheme}://{parts.netloc}/{number}"
    server, port = _start(env, *args)
    probe(port, 0.5, every=0.05)  # warm: the first /v1/posts fills the response cache
    yield port
    server.stop()
    if schema:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _probe_under(port, seconds, *hordes):
    """Probe while the hordes attack; check the attack really was on all along."""
    probes = probe(port, seconds)
    for horde in hordes:
        holding = horde.status()["holding"]
        assert holding >= 0.9 * horde.count, (holding, horde.count)
    return probes


def _assert_served(probes):
    print(probes.summary())  # shown with -s: the numbers a by-hand run reports
    assert not probes.failures, probes.summary()
    assert probes.slowest < 1.0, probes.summary()
    assert probes.median < 0.1, probes.summary()


def test_slow_headers_leave_the_server_answering(attacked):
    port = attacked
    with Horde(port, 200, SLOW_HEADERS, b"X-Slow: 1\r\n", interval=2) as horde:
        probes = _probe_under(port, ATTACK_SECONDS, horde)
    _assert_served(probes)


def test_slow_bodies_leave_the_server_answering(attacked):
    port = attacked
    with Horde(port, 50, SLOW_BODY, b" ", interval=2) as horde:
        probes = _probe_under(port, ATTACK_SECONDS, horde)
    _assert_served(probes)


def test_idle_sockets_leave_the_server_answering(attacked):
    port = attacked
    with Horde(port, 250, b"", b"", interval=2) as horde:
        probes = _probe_under(port, ATTACK_SECONDS, horde)
    _assert_served(probes)


def test_acceptance_200_slow_headers_and_50_slow_bodies(attacked):
    port = attacked
    seconds = max(ATTACK_SECONDS, 12)
    with (
        Horde(port, 200, SLOW_HEADERS, b"X-Slow: 1\r\n", interval=2) as headers,
        Horde(port, 50, SLOW_BODY, b" ", interval=2) as bodies,
    ):
        probes = _probe_under(port, seconds, headers, bodies)
    _assert_served(probes)
    # Past the 10 s header deadline the slow-header connections were answered 408 and
    # cut (and reopened); the slow bodies are within their 30 s.
    assert headers.final["cut"] >= 100
    assert set(headers.final["answers"]) == {"HTTP/1.1 408 Request Timeout"}


# Deadlines: a short one, so the test need not wait ten seconds.


def test_missed_deadlines_are_answered_408_closed_and_counted_in_the_log(tmp_path):
    server, port = _start(_env(tmp_path), "--header-timeout", "1", "--body-timeout", "1.5")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as slow_headers:
        slow_headers.sendall(SLOW_HEADERS)
        late_headers = _read_all(slow_headers, timeout=5)
    header_seconds = time.monotonic() - started
    with socket.create_connection(("127.0.0.1", port)) as slow_body:
        slow_body.sendall(SLOW_BODY)
        late_body = _read_all(slow_body, timeout=5)
    with socket.create_connection(("127.0.0.1", port)) as idle:
        idle_answer = _read_all(idle, timeout=5)
    output = server.stop()

    assert 0.8 < header_seconds < 4
    for answer, detail in (
        (late_headers, "The request headers did not arrive in time."),
        (late_body, "The request body did not arrive in time."),
    ):
        status, headers, body = _parse(answer)
        assert status == 408
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body) == {
            "type": "/problems/request-timeout",
            "title": "Request timeout",
            "status": 408,
            "detail": detail,
        }
    assert idle_answer == b""  # nothing was asked: closed without an answer
    counted: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"cut"' in line:
            for reason, number in json.loads(line)["cut"].items():
                counted[reason] = counted.get(reason, 0) + number
    assert counted == {"header_deadline": 1, "body_deadline": 1, "idle": 1}, output


# Errors found before Flask runs


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory):
    env = _env(tmp_path_factory.mktemp("limits"), MARGINALIA_MAX_BODY_BYTES="4096")
    server, port = _start(env)
    yield port
    server.stop()


def _exchange(port: int, *pieces: bytes, timeout: float = 5) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for piece in pieces:
            sock.sendall(piece)
        return _parse(_read_all(sock, timeout))


def _read_all(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length" and len(body) >= int(value):
                return received


def _parse(response: bytes) -> tuple[int, dict, bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _request(head: str, body: bytes = b"") -> bytes:
    return f"{head}\r\n".encode("latin-1") + body


PROBLEMS = {
    "request line too long": (
        _request(f"GET /v1/posts?q={'a' * 5000} HTTP/1.1\r\nHost: x\r\n"),
        414,
        "uri-too-long",
    ),
    "one header too big": (
        _request(f"GET /v1/posts HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 9000}\r\n"),
        431,
        "request-header-fields-too-large",
    ),
    "too many headers": (
        _request("GET /v1/posts HTTP/1.1\r\nHost: x\r\n" + "X-Many: 1\r\n" * 101),
        431,
        "request-header-fields-too-large",
    ),
    "header block too big": (
        _request(
            "GET /v1/posts HTTP/1.1\r\nHost: x\r\n"
            + "".join(f"X-Part-{n}: {'a' * 700}\r\n" for n in range(60))
        ),
        431,
        "request-header-fields-too-large",
    ),
    "malformed request line": (b"GARBAGE\r\n\r\n", 400, "bad-request"),
    "malformed header": (
        _request("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n"),
        400,
        "bad-request",
    ),
    "unknown transfer coding": (
        _request("POST /v1/webmention HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd, chunked\r\n"),
        501,
        "not-implemented",
    ),
    "declared body too large": (
        _request("POST /v1/webmention HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n"),
        413,
        "content-too-large",
    ),
    "chunked body too large": (
        _request(
            "POST /v1/webmention HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
            b"800\r\n" + b"a" * 0x800 + b"\r\n" + b"801\r\n" + b"a" * 0x801 + b"\r\n0\r\n\r\n",
        ),
        413,
        "content-too-large",
    ),
}


@pytest.mark.parametrize("case", PROBLEMS)
def test_errors_before_flask_are_problem_json(small_limits, case):
    request, status, slug = PROBLEMS[case]
    answered, headers, body = _exchange(small_limits, request)
    assert answered == status
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"
    assert len(headers["x-request-id"]) == 32
    problem = json.loads(body)
    assert problem["type"] == f"/problems/{slug}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert set(problem) == {"type", "title", "status", "detail"}


def test_a_header_block_dripped_past_the_cap_is_refused(small_limits):
    pieces = [b"GET /v1/posts HTTP/1.1\r\nHost: x\r\n"]
    pieces += [f"X-Part-{n}: {'a' * 700}\r\n".encode() for n in range(60)]
    with socket.create_connection(("127.0.0.1", small_limits)) as sock:
        for piece in pieces:
            try:
                sock.sendall(piece)
            except OSError:  # refused already, mid-drip
                break
            time.sleep(0.005)
        status, headers, _ = _parse(_read_all(sock, timeout=5))
    assert status == 431 and headers["content-type"] == "application/problem+json"


def test_a_chunked_body_within_the_limit_reaches_the_app_whole(small_limits):
    body = json.dumps(
        {"body": "Chunked, " + "x" * 1500, "author_name": "C", "author_email": "c@example.org"}
    ).encode()
    halves = (body[:1000], body[1000:])
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(half), half) for half in halves) + b"0\r\n\r\n"
    head = (
        f"POST /v1/posts/{POST_SLUG}/comments HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    )
    status, _, answer = _exchange(small_limits, _request(head), chunked)
    assert status == 202, answer
    assert json.loads(answer)["body"] == "Chunked, " + "x" * 1500


def test_a_websocket_upgrade_is_answered_by_the_app(small_limits):
    # No route serves WebSocket: werkzeug's router refuses the upgrade with a problem,
    # as it did under the gthread worker (gunicorn's own answer is an empty 403).
    status, headers, body = _exchange(
        small_limits,
        _request(
            "GET /v1/posts HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        ),
    )
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert "request_id" in json.loads(body)  # Flask's problem, not the server's
