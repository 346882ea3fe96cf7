"""Fixtures: one migrated database per test process, emptied after every test.

The suite runs on SQLite by default. With MARGINALIA_DATABASE_URL pointing at
PostgreSQL (and MARGINALIA_REDIS_URL at Redis), the same tests run there: each
pytest-xdist worker gets its own schema and its own Redis database number.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

import pytest
import redis
from sqlalchemy import create_engine, text

from api import create_app
from api.cache.responses import response_cache
from api.infra.database import db
from api.infra.unit_of_work import unit_of_work
from api.web.ratelimits import limiter
from config import load_settings

TEST_DATABASE_URL = os.environ.get("MARGINALIA_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("MARGINALIA_REDIS_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _worker_number(worker_id: str) -> int:
    return 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))


def _postgres_url_for(worker_id: str) -> str:
    # Unique per run, so two runs on one server (a developer's and CI's) never collide.
    schema = f"test_{worker_id}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory, worker_id):
    """Settings for this test process: its own database, Redis db and instance folder."""
    instance = tmp_path_factory.mktemp("instance")
    database_url = _postgres_url_for(worker_id) if ON_POSTGRES else f"sqlite:///{instance}/test.db"
    redis_url = ""
    if TEST_REDIS_URL:
        parts = urlsplit(TEST_REDIS_URL)
        redis_url = f"{parts.scheme}://{parts.netloc}/{1 + _worker_number(worker_id)}"
        redis.Redis.from_url(redis_url).flushdb()
    return load_settings(
        environ={},
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret",
        instance_path=str(instance),
        log_level="WARNING",
        site_url="https://blog.example/{slug}/",
        api_url="https://api.blog.example",
        demo_on_empty="false",
        # The suite's comments are sent without comment-form tokens; the defences' own
        # tests (tests/comments/test_spam_defence.py) turn hold and refuse on.
        comment_token_invalid="ignore",
    )


@pytest.fixture(scope="session")
def app(test_settings):
    application = create_app(test_settings, TESTING=True, QUEUE_IMMEDIATE=True)
    with application.app_context():
        from flask_migrate import upgrade

        upgrade(directory=application.extensions["migrate"].directory)
        db.session.remove()
    yield application
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            schema = db.session.execute(text("SELECT current_schema()")).scalar_one()
            db.session.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


_REAL_GETADDRINFO = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "localhost.localdomain"}


@pytest.fixture(autouse=True)
def _no_real_name_lookups(monkeypatch):
    """Tests never ask the machine's resolver about a name: it is another host. IP
    literals and localhost resolve as usual; a test that needs names maps them itself
    (the `dns` fixtures of tests/unit/test_outbound.py and tests/linkbacks)."""

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name.lower() not in _LOCAL_NAMES:
                raise socket.gaierror(
                    socket.EAI_NONAME, f"no lookups of {name!r} in tests"
                ) from None
        return _REAL_GETADDRINFO(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Every test starts from empty tables and fresh rate-limit counters."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.rollback()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608  (our own table names)
        db.session.commit()
        db.session.remove()
        limiter.reset()
        # Emptied tables restart event ids, which the response cache reads past.
        if cache := response_cache(application):
            cache.clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_token(app) -> Callable[..., str]:
    """Issue a staff token with a role (author tokens name their author)."""
    from api.auth.tokens import create_token

    def issue(role: str, author: str | None = None, name: str | None = None) -> str:
        with app.app_context():
            with unit_of_work():
                _, plain = create_token(name or role, role, author)
            db.session.remove()
        return plain

    return issue


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token("admin"))


@pytest.fixture
def author(client, admin) -> dict:
    response = client.post(
        "/v1/authors", json={"name": "Ada Lovelace", "email": "ada@example.org"}, headers=admin
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def publish(client, admin, author) -> Callable[..., dict]:
    """Create a post through the API (published unless told otherwise)."""

    def create(title: str = "A post", **fields) -> dict:
        payload = {
            "title": title,
            "body": "Some *text*.",
            "author": author["slug"],
            "status": "published",
            **fields,
        }
        response = client.post("/v1/posts", json=payload, headers=admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


@pytest.fixture
def in_app(app) -> Callable:
    """Run `fn` in an app context, as the worker would, and hand back its result."""

    def run(fn, *args, **kwargs):
        with app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return run


@pytest.fixture
def in_unit_of_work(app) -> Callable:
    """Run a service `fn` as a route or task would: in a unit of work of its own."""

    def run(fn, *args, **kwargs):
        with app.app_context():
            try:
                with unit_of_work():
                    return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return run


@pytest.fixture
def subscribe(app, monkeypatch) -> Callable[..., None]:
    """Add a consumer to the app's event dispatcher for this test (as the wiring table
    does for the real ones)."""
    from api.events.dispatch import Subscription, dispatcher_of

    dispatcher = dispatcher_of(app)

    def add(consumer: str, event_types, handler, **options) -> None:
        added = Subscription(consumer, tuple(event_types), handler, **options)
        monkeypatch.setattr(dispatcher, "subscriptions", (*dispatcher.subscriptions, added))

    return add


@pytest.fixture
def events(app) -> Callable[..., list[tuple[str, dict]]]:
    """The recorded events as (type, data), oldest first; `prefix` keeps one kind."""
    from api.events.feed import list_events

    def recorded(prefix: str = "") -> list[tuple[str, dict]]:
        with app.app_context():
            found = [(e.type, e.data) for e in list_events(0, 1000) if e.type.startswith(prefix)]
            db.session.remove()
        return found

    return recorded


# --- SSRF witnesses (tests/unit/test_outbound.py, tests/linkbacks) ---------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that must never be reached: it listens but never accepts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def assert_untouched(sock: socket.socket) -> None:
    readable, _, _ = select.select([sock], [], [], 0.05)
    assert not readable, "the refused target received a connection"


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """Terminate a server a test started, and kill it if it has not ended in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
