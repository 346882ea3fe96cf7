"""Checking a pooled connection before use only when it sat idle.

`pool_pre_ping` runs `SELECT 1` on every checkout: on PostgreSQL a round trip (and the
transaction's BEGIN) before each request's first statement, ~0.2 ms of a comment's
intake. A connection that was in use a moment ago is alive; the ones that die are
those left idle while the server restarted or a firewall dropped them. So a
connection is pinged on checkout only when it was checked in more than
`IDLE_SECONDS` ago, with the dialect's own ping; a dead one is discarded and the
pool hands out another (SQLAlchemy's "pessimistic" handling, as `pool_pre_ping`).
A connection that dies while busy fails its statement under either scheme, and
SQLAlchemy then drops the whole pool's older connections.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SECONDS = 1.0
_CHECKED_IN = "marginalia_checked_in"


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_SECONDS) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _note_checkin(dbapi_connection, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new (just connected) or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error  # the pool connects afresh
            raise
