"""SQLite as the embedded database: its pragmas, and one writer at a time per process.

SQLite lets one connection write at a time. A writer that finds the database locked
sleeps in SQLite's busy handler (1, 2, 5, 10 ... 100 ms between tries), so sixteen
serving threads that all write (a burst of comments) spend most of their time asleep
while the lock sits free, and the slowest wait for seconds. Taking a process-wide
lock before a connection's first write turns that into a queue: a thread waits on a
Python lock and is woken the moment the writer before it commits. Only the other
processes of the server (gunicorn workers) still meet SQLite's busy handler.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS = "marginalia_write_lock"
_write_lock = threading.RLock()  # re-entrant: a thread's second write statement


def is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__ == "sqlite3"


@event.listens_for(Engine, "connect")
def _pragmas(dbapi_connection, connection_record):
    """WAL lets readers run beside the writer; foreign keys are off by default in SQLite."""
    if not is_sqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def serialise_writes(engine: Engine) -> None:
    """Queue this engine's write transactions on the process-wide lock (SQLite only)."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "commit", _release):
        return
    event.listen(engine, "before_cursor_execute", _acquire_before_writing)
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    event.listen(engine.pool, "reset", _release_on_reset)  # returned without commit/rollback
    event.listen(engine.pool, "invalidate", _release_on_invalidate)


def _acquire_before_writing(conn, cursor, statement, parameters, context, executemany):
    if _HOLDS in conn.info or not statement.lstrip()[:7].upper().startswith(_WRITES):
        return
    _write_lock.acquire()
    conn.info[_HOLDS] = True


def _release(conn) -> None:
    if conn.info.pop(_HOLDS, False):
        _write_lock.release()


def _release_on_reset(dbapi_connection, connection_record, reset_state) -> None:
    _release_record(connection_record)


def _release_on_invalidate(dbapi_connection, connection_record, exception) -> None:
    _release_record(connection_record)


def _release_record(connection_record) -> None:
    if connection_record is not None and connection_record.info.pop(_HOLDS, False):
        _write_lock.release()
