"""SQLite as the embedded database: its pragmas, and one writer at a time per process.

SQLite lets one connection write at a time. A writer that finds the database locked
sleeps in SQLite's busy handler (1, 2, 5, 10 ... 100 ms between tries), so sixteen
serving threads that all write (a burst of comments) spend most of their time asleep
while the lock sits free, and the slowest wait for seconds. Taking a lock before a
connection's first write turns that into a queue: a thread waits on a Python lock and
is woken the moment the writer before it in the process commits, and the process then
waits on an advisory lock of the database file's own (`<database>.writer`, flock) that
the kernel hands over the moment the other process (another gunicorn worker, the
worker, an import) lets go. Measured with two gunicorn workers taking comments: without
the file lock, a third of a worker's writers' time went to the busy handler's sleeps.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS = "marginalia_write_lock"
_write_lock = threading.RLock()  # re-entrant: a thread's second write statement


class _FileLock:
    """The cross-process half: an flock on `<database>.writer`, taken by the first of
    this process's writing connections and let go by the last. Only touched while
    holding `_write_lock`, which serialises the counting."""

    def __init__(self, path: str):
        self.path = path
        self.fd, self.pid = -1, -1
        self.holders = 0

    def take(self) -> None:
        if self.holders == 0:
            if self.pid != os.getpid():
                # An flock belongs to the open file, which a forked child shares with
                # its parent (an app created before gunicorn forks): each process
                # opens its own, or the workers would all hold the one lock at once.
                self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.holders += 1

    def let_go(self) -> None:
        self.holders -= 1
        if self.holders == 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


class _NoFileLock:
    """A database no other process can open (in memory): the process lock is enough."""

    def take(self) -> None:
        pass

    def let_go(self) -> None:
        pass


_file_locks: dict[str, _FileLock] = {}
_engine_locks: weakref.WeakKeyDictionary[Engine, _FileLock | _NoFileLock] = (
    weakref.WeakKeyDictionary()
)


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
    """Queue this engine's write transactions on the process-wide lock, and a database
    file's across processes on its file lock (SQLite only)."""
    if engine.dialect.name != "sqlite" or engine in _engine_locks:
        return
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = f"{os.path.abspath(database)}.writer"
        if path not in _file_locks:
            _file_locks[path] = _FileLock(path)
        _engine_locks[engine] = _file_locks[path]
    else:
        _engine_locks[engine] = _NoFileLock()
    event.listen(engine, "before_cursor_execute", _acquire_before_writing)
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    event.listen(engine.pool, "reset", _release_on_reset)  # returned without commit/rollback
    event.listen(engine.pool, "invalidate", _release_on_invalidate)


def _acquire_before_writing(conn, cursor, statement, parameters, context, executemany):
    if _HOLDS in conn.info or not statement.lstrip()[:7].upper().startswith(_WRITES):
        return
    file_lock = _engine_locks[conn.engine]
    _write_lock.acquire()
    file_lock.take()
    conn.info[_HOLDS] = file_lock


def _release(conn) -> None:
    _let_go(conn.info.pop(_HOLDS, None))


def _release_on_reset(dbapi_connection, connection_record, reset_state) -> None:
    _release_record(connection_record)


def _release_on_invalidate(dbapi_connection, connection_record, exception) -> None:
    _release_record(connection_record)


def _release_record(connection_record) -> None:
    if connection_record is not None:
        _let_go(connection_record.info.pop(_HOLDS, None))


def _let_go(file_lock: _FileLock | _NoFileLock | None) -> None:
    if file_lock is not None:
        file_lock.let_go()
        _write_lock.release()
