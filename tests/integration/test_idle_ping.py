"""Pooled connections are pinged only after sitting idle (api/infra/pinging.py), in place
of pool_pre_ping's round trip per checkout: one that died while idle (the database
restarted, a firewall dropped it) is replaced without the caller noticing."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text

from api.infra.pinging import ping_when_idle
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


@pytest.fixture
def engine_for(tmp_path):
    engines = []

    def make(idle_seconds: float):
        url = TEST_DATABASE_URL if ON_POSTGRES else f"sqlite:///{tmp_path}/ping.db"
        engine = create_engine(url, pool_size=1, max_overflow=0)
        ping_when_idle(engine, idle_seconds)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def _session_id(connection) -> int:
    if ON_POSTGRES:
        return connection.scalar(text("SELECT pg_backend_pid()"))
    return id(connection.connection.dbapi_connection)


def _kill(engine, connection_id: int) -> None:
    """What a database restart does to the pooled connection, behind the pool's back."""
    if ON_POSTGRES:
        other = create_engine(TEST_DATABASE_URL)
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": connection_id})
        other.dispose()
        return
    engine.pool._pool.queue[0].dbapi_connection.close()


def test_a_connection_that_died_while_idle_is_replaced(engine_for):
    engine = engine_for(idle_seconds=0.0)
    with engine.connect() as connection:
        before = _session_id(connection)
    _kill(engine, before)
    with engine.connect() as connection:  # pinged, found dead, replaced
        assert connection.scalar(text("SELECT 1")) == 1
        assert _session_id(connection) != before


def test_a_connection_used_a_moment_ago_is_not_pinged(engine_for):
    engine = engine_for(idle_seconds=3600.0)
    with engine.connect() as connection:
        before = _session_id(connection)
    _kill(engine, before)
    with engine.connect() as connection, pytest.raises(exc.DBAPIError):
        # No ping: the statement itself meets the dead connection (as it would have
        # had it died while in use), and SQLAlchemy invalidates the pool.
        connection.execute(text("SELECT 1"))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT 1")) == 1
