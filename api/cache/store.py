"""The response cache's store: entries per process, each with the dependency keys it was
built from, dropped exactly when a new event carries one of them; how the new events
are read (api/cache/responses.py says when each is used)."""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from api.cache.keys import EVERYTHING

# The latest id (to notice an emptied table) and every event after the ones applied.
_NEW_EVENTS = (
    "SELECT 0, max(id), NULL FROM events "
    "UNION ALL SELECT 1, id, cache_keys FROM events WHERE id > {seen}"
)
# Keyed events remembered after they were applied: an entry built before the oldest of
# them cannot be checked against what followed, and is not stored.
LOG_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Entry:
    generation: int  # the latest event applied before the body was built
    etag: str
    body: bytes
    headers: tuple[tuple[str, str], ...]  # the _KEPT_HEADERS the view set
    early: bool = False  # the WSGI front may answer it: no rate limit can count its reads
    # What a 200 from the front starts with, in the order Flask's path sends them.
    head: tuple[tuple[str, str], ...] = ()
    keys: frozenset[str] = frozenset((EVERYTHING,))  # what the body was built from


def cache_key(environ: dict) -> tuple[str, str, str]:
    """The raw URL, before any decoding: the front and Flask's path key alike, and two
    URLs that only decode alike (one of them refused as not UTF-8) never share an entry."""
    return (
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


def _touches(event_keys: frozenset[str], entry_keys: frozenset[str]) -> bool:
    return (
        EVERYTHING in event_keys
        or EVERYTHING in entry_keys
        or not event_keys.isdisjoint(entry_keys)
    )


class ResponseCache:
    """A thread-safe LRU of entries, one per process, indexed by dependency key.

    `apply(events)` takes new events in id order: each keyed one drops the entries it
    touches, and `seen` moves past it. An entry is stored only if no event applied after
    the one it was built at touches it (its body may predate that change).
    """

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._by_key: dict[str, set[tuple]] = {}
        self._log: deque[tuple[int, frozenset[str]]] = deque()
        self._forgotten = 0  # the newest keyed event no longer in `_log`
        self._lock = threading.Lock()
        self.seen = 0  # every event up to this id has been applied
        self.hits = self.misses = self.dropped = 0

    def peek(self, key: tuple) -> Entry | None:
        """The entry, without counting or reordering (the front's look before it pays for
        reading new events)."""
        return self._entries.get(key)

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            if entry.generation < self._forgotten or entry.generation > self.seen:
                return  # what happened since it was built is not known here
            for event_id, event_keys in reversed(self._log):
                if event_id <= entry.generation:
                    break
                if _touches(event_keys, entry.keys):
                    return  # changed while it was built: the body may be the old one
            current = self._entries.get(key)
            if current is not None:
                if current.generation > entry.generation:
                    return  # a slower request must not replace a newer entry
                self._remove(key)
            self._entries[key] = entry
            for dependency in entry.keys:
                self._by_key.setdefault(dependency, set()).add(key)
            while len(self._entries) > self.max_entries:
                self._remove(next(iter(self._entries)))

    def apply(self, events: list[tuple[int, str | None]], latest: int, since: int) -> int:
        """Apply new events (id, space-separated keys), in id order, read after event
        `since`; `latest` is the highest id the table had (below `since`: the table was
        emptied, its ids restarted, forget everything). Returns `seen`."""
        with self._lock:
            if latest < since:
                self._reset()
                self.seen = self._forgotten = latest
            for event_id, joined in events:
                if event_id <= self.seen:
                    continue
                if joined:
                    event_keys = frozenset(joined.split())
                    self._drop(event_keys)
                    self._log.append((event_id, event_keys))
                    if len(self._log) > LOG_SIZE:
                        self._forgotten = self._log.popleft()[0]
                self.seen = event_id
            return self.seen

    def _drop(self, event_keys: frozenset[str]) -> None:
        if EVERYTHING in event_keys:
            doomed = set(self._entries)
        else:
            doomed = set(self._by_key.get(EVERYTHING, ()))
            for dependency in event_keys:
                doomed.update(self._by_key.get(dependency, ()))
        for key in doomed:
            self._remove(key)
        self.dropped += len(doomed)

    def _remove(self, key: tuple) -> None:
        entry = self._entries.pop(key)
        for dependency in entry.keys:
            holders = self._by_key.get(dependency)
            if holders is not None:
                holders.discard(key)
                if not holders:
                    del self._by_key[dependency]

    def _reset(self) -> None:
        self._entries.clear()
        self._by_key.clear()
        self._log.clear()

    def clear(self) -> None:
        with self._lock:
            self._reset()
            self.seen = self._forgotten = 0
            self.hits = self.misses = self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)


class Generation:
    """Brings a cache up to date with the events table: reads the events after the last
    one applied (their ids and keys) and applies them; returns the latest id applied.

    On a connection of its own, one per thread, not through the request's session: that
    would open a transaction (BEGIN, and a ROLLBACK when the connection goes back to the
    pool, each a round trip on PostgreSQL) for two index probes, and a pool checkout
    costs more than the query. Each serving thread keeps one autocommit connection for
    this one statement. Event ids are commit order (api/events/outbox.py), so reading
    past the last id seen never skips an event that commits later.
    """

    def __init__(self, url: str, engine_options: dict, cache: ResponseCache):
        options = {k: v for k, v in engine_options.items() if k != "pool_pre_ping"}
        self.engine = create_engine(
            url, isolation_level="AUTOCOMMIT", poolclass=NullPool, **options
        )
        self.cache = cache
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
                since = int(self.cache.seen)
                cursor.execute(_NEW_EVENTS.format(seen=since))
                rows = cursor.fetchall()
                cursor.close()
                break
            except self.engine.dialect.loaded_dbapi.Error:
                self._local.connection = None
                connection.invalidate()
                if attempt == 2:
                    raise
        latest = next((row[1] or 0 for row in rows if row[0] == 0), 0)
        events = sorted((row[1], row[2]) for row in rows if row[0] == 1)
        return self.cache.apply(events, latest, since)

    def close(self) -> None:
        while self._opened:
            self._opened.pop().close()
