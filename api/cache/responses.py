"""The response cache: anonymous reads of public resources, answered without the view.

What is cached: GET responses (status 200) of views marked `@cached_public`, for
requests without an Authorization header; the key is the raw URL as the server passed
it (SCRIPT_NAME, PATH_INFO, QUERY_STRING). Each entry remembers the *generation* it
was built in: the id of the latest recorded event (`SELECT max(id) FROM events`, one
index probe). Every change that affects a public read records an event in its own
transaction (the outbox), so any committed write anywhere, by any process or instance,
moves the generation and makes every entry stale at once: no read after a write can be
served stale.

The generation is read *before* a miss builds its body, so a body can only be newer
than its generation, never older. Entries live in each process (a bounded LRU); the
generation is the shared part, so N processes or instances stay correct with no
cache traffic between them. On a database server, hits that arrive together share one
generation read, never one that started before they arrived (api/shared_reads.py).

Two places answer hits, both reading the generation first:

* the WSGI front (api/cache_front.py), in front of Flask: no request context, no
  routing, no hooks. It answers plain anonymous GET/HEAD hits (with or without
  If-None-Match) of entries no rate limit can count, with the very headers Flask's
  hooks would add;
* this module's `before_request` hook, for the hits the front leaves to Flask (an
  If-Match or If-Modified-Since header, or an endpoint a rate limit could count: the
  hook runs after Flask-Limiter's check, so those reads are still counted).

Entries are only ever stored here, by the Flask path, after a real view answered 200.
"""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, g, request
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from werkzeug.http import quote_etag

from api.cache.shared_reads import SharedRead
from api.web import ratelimits
from api.web.conditional import etag_of_bytes
from api.web.ratelimits import limiter

MAX_BODY_BYTES = 1 << 20  # bigger bodies are rare and would crowd everything else out
_GENERATION = "SELECT max(id) FROM events"
# Headers the view sets that belong to the representation; the per-request ones
# (request id, CORS, Cache-Control, rate limits) are added again on every hit.
_KEPT_HEADERS = ("Content-Type", "Link")


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


def cached_public(view_class):
    """Mark a MethodView whose anonymous GETs are public and may be cached.

    Only for views whose anonymous response depends on nothing but the URL and the
    database, and whose every change records an event.
    """
    view_class.cached_public = True
    return view_class


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


def response_cache(app: Flask) -> ResponseCache | None:
    return app.extensions.get("marginalia_response_cache")


def init_app(app: Flask, cors_options: dict | None = None) -> None:
    """Install the cache when `response_cache` is on; call after `finish_response` is
    registered, so the store hook sees the 200 before it can become a 304, and with
    the options CORS was set up with, so the front adds the same CORS headers."""
    from api.cache.front import CacheFront

    settings = app.config["MARGINALIA"]
    if not settings.response_cache:
        return
    cache = ResponseCache(settings.response_cache_entries)
    app.extensions["marginalia_response_cache"] = cache
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    current_generation = Generation(url, app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if not url.startswith("sqlite"):
        # A round trip per hit is most of what a hit costs on a database server; hits
        # that arrive together share one (api/shared_reads.py). SQLite's read is a
        # few microseconds in-process: sharing it would cost more than it saves.
        current_generation = SharedRead(current_generation)
    app.wsgi_app = CacheFront(app, app.wsgi_app, cache, current_generation, cors_options)

    @app.before_request
    def answer_from_cache():
        if not _cacheable_request(app):
            return None
        key = cache_key(request.environ)
        generation = current_generation()
        entry = cache.get(key, generation)
        if entry is None:
            g.response_cache_slot = (key, generation)
            return None
        if request.if_none_match.contains(entry.etag):
            response = Response(status=304)
        else:
            response = Response(entry.body, headers=list(entry.headers))
        response.set_etag(entry.etag)
        return response

    @app.after_request
    def store_in_cache(response: Response) -> Response:
        slot = g.pop("response_cache_slot", None)
        if slot is None or response.status_code != 200 or request.method != "GET":
            return response
        body = response.get_data()
        if len(body) > MAX_BODY_BYTES:
            return response
        counted = ratelimits.where_reads_are_counted(app, request.endpoint or "")
        if counted == "view":
            return response  # only the view counts this limit: every read must reach it
        etag = etag_of_bytes(body)
        response.set_etag(etag)  # finish_response keeps it instead of hashing again
        headers = tuple(
            (name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers
        )
        # The order werkzeug gives a hit: the view's headers, Content-Length (set with
        # the body), then the ETag.
        head = (*headers, ("Content-Length", str(len(body))), ("ETag", quote_etag(etag)))
        early = counted is None and not limiter.current_limits
        key, generation = slot
        cache.put(key, Entry(generation, etag, body, headers, early, head))
        return response


def _cacheable_request(app: Flask) -> bool:
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    view = app.view_functions.get(request.endpoint or "")
    return getattr(getattr(view, "view_class", None), "cached_public", False)
