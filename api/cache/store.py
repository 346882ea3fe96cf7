"""The response cache's store: entries per process, stamped with the generation (the
latest event id) they were built in; how the generation is read (api/cache/responses.py
says when each is used)."""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

_GENERATION = "SELECT max(id) FROM events"


@dataclass(frozen=True, slots=True)
class Entry:
    generation: int
    etag: str
    body: bytes
    headers: tuple[tuple[str, str], ...]  # the _KEPT_HEADERS the view set
    early: bool = False  # the WSGI front may answer it: no rate limit can count its reads
    # What a 200 from the front starts with, in the order Flask's path sends them.
    head: tuple[tuple[str, str], ...] = ()


def cache_key(environ: dict) -> tuple[str, str, str]:
    """The raw URL, before any decoding: the front and Flask's path key alike, and two
    URLs that only decode alike (one of them refused as not UTF-8) never share an entry."""
    return (
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


class ResponseCache:
    """A thread-safe LRU of entries, one per process."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def peek(self, key: tuple) -> Entry | None:
        """The entry whatever its generation, without counting or reordering (the
        front's look before it pays for a generation read)."""
        return self._entries.get(key)

    def get(self, key: tuple, generation: int) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.generation != generation:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            current = self._entries.get(key)
            if current is not None and current.generation > entry.generation:
                return  # a slower request must not replace a newer entry
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


class Generation:
    """Reads the latest event id on a connection of its own, one per thread.

    Not through the request's session: that would open a transaction (BEGIN, and a
    ROLLBACK when the connection goes back to the pool, each a round trip on
    PostgreSQL) for one index probe, and a pool checkout costs more than the query.
    Each serving thread keeps one autocommit connection for this one statement.
    """

    def __init__(self, url: str, engine_options: dict):
        options = {k: v for k, v in engine_options.items() if k != "pool_pre_ping"}
        self.engine = create_engine(
            url, isolation_level="AUTOCOMMIT", poolclass=NullPool, **options
        )
        self._local = threading.local()
        self._opened: list = []
        atexit.register(self.close)

    def __call__(self) -> int:
        for attempt in (1, 2):  # a connection the server dropped is replaced once
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = self.engine.raw_connection()
                self._opened.append(connection)
            try:
                cursor = connection.cursor()
                cursor.execute(_GENERATION)
                row = cursor.fetchone()
                cursor.close()
                return row[0] or 0
            except self.engine.dialect.loaded_dbapi.Error:
                self._local.connection = None
                connection.invalidate()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        while self._opened:
            self._opened.pop().close()
