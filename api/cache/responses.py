"""The response cache: anonymous reads of public resources, answered without the view.

What is cached: GET responses (status 200) of views marked `@cached_public`, for
requests without an Authorization header; the key is the raw URL as the server passed
it (SCRIPT_NAME, PATH_INFO, QUERY_STRING). Each entry remembers the dependency keys
its view declared (api/cache/keys.py: `post:7`, `comments:7`, `posts` ...; none
declared: it depends on everything). Every change that affects a public read records
an event in its own transaction (the outbox) carrying the keys it changes. Before every
hit or miss, the cache reads the events recorded since the last one it applied (ids
and keys, an index range scan: usually no row) and drops exactly the entries sharing a
key with one of them. So a committed write anywhere, by any process or instance, is
seen by the next read, while a pending comment (no keys) drops nothing.

The *generation* (the latest event applied) is read *before* a miss builds its body, so
a body can only be newer than its generation, never older; an entry is not stored if a
keyed event after its generation touches it (api/cache/store.py). Entries live in each
process (a bounded LRU); the events table is the shared part, so N processes or
instances stay correct with no cache traffic between them. On a database server, hits
that arrive together share one read of new events, never one that started before they
arrived (api/shared_reads.py).

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

from flask import Flask, Response, g, request
from werkzeug.http import quote_etag

from api.cache.front import CacheFront
from api.cache.keys import EVERYTHING, declared_keys
from api.cache.shared_reads import SharedRead
from api.cache.store import Entry, Generation, ResponseCache, cache_key
from api.web import ratelimits
from api.web.conditional import etag_of_bytes
from api.web.ratelimits import limiter

MAX_BODY_BYTES = 1 << 20  # bigger bodies are rare and would crowd everything else out
# Headers the view sets that belong to the representation; the per-request ones
# (request id, CORS, Cache-Control, rate limits) are added again on every hit.
# The CDN's headers (api/cdn/headers.py) and the WordPress and Ghost APIs' paging and
# version headers describe the representation too.
_KEPT_HEADERS = (
    "Content-Type",
    "Link",
    "Surrogate-Key",
    "Surrogate-Control",
    "CDN-Cache-Control",
    "Cache-Tag",
    "X-WP-Total",
    "X-WP-TotalPages",
    "Content-Version",
)


def cached_public(view_class):
    """Mark a MethodView whose anonymous GETs are public and may be cached.

    Only for views whose anonymous response depends on nothing but the URL and the
    database, and whose every change records an event.
    """
    view_class.cached_public = True
    return view_class


def response_cache(app: Flask) -> ResponseCache | None:
    return app.extensions.get("marginalia_response_cache")


def init_app(app: Flask, cors_options: dict | None = None) -> None:
    """Install the cache when `response_cache` is on; call after `finish_response` is
    registered, so the store hook sees the 200 before it can become a 304, and with
    the options CORS was set up with, so the front adds the same CORS headers."""
    settings = app.config["MARGINALIA"]
    if not settings.response_cache:
        return
    cache = ResponseCache(settings.response_cache_entries)
    app.extensions["marginalia_response_cache"] = cache
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    current_generation = Generation(url, app.config["SQLALCHEMY_ENGINE_OPTIONS"], cache)
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
        entry = cache.get(key)
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
        dependencies = frozenset(declared_keys() or (EVERYTHING,))
        cache.put(key, Entry(generation, etag, body, headers, early, head, dependencies))
        return response


def public_read(app: Flask) -> bool:
    """This request is an anonymous read of a `@cached_public` view."""
    return _cacheable_request(app)


def _cacheable_request(app: Flask) -> bool:
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    view = app.view_functions.get(request.endpoint or "")
    return getattr(getattr(view, "view_class", None), "cached_public", False)
