"""The response cache's WSGI front: fresh anonymous hits answered before Flask.

A hit answered in Flask's `before_request` still pays for the whole dispatch: request
context, URL matching, every before/after hook, werkzeug's response object. This layer
sits in front of `Flask.wsgi_app` and answers the common hit itself: a GET or HEAD with
no Authorization, If-Match or If-Modified-Since header, of a key the cache holds, whose
entry no rate limit can count (`Entry.early`, decided when Flask's path stored it). It
reads the generation first, exactly like Flask's path, so a write anywhere is seen at
once; anything else (a miss, a stale entry, a database error) goes on to Flask.

What a client sees is what Flask's hit path sends, header for header and in the same
order (tests/integration/test_cache_front.py compares the two):

    Content-Type, [Link], Content-Length, ETag      the entry (a 304: ETag, after a weak
                                                    match Link too)
    Date                                            when If-None-Match was sent, unless
                                                    the ETag matched strongly or `*`
    Cache-Control, Vary                             api/conditional.py finish_response
    X-Request-ID, security headers, access log      api/observability.py
    CORS headers                                    flask-cors' own function, same options
    (no RateLimit headers: no limit counts these)   api/ratelimits.py

A hook added to the app that writes a header on every response must be added here too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from flask import Flask
from flask_cors.core import (
    get_cors_headers,
    get_cors_options,
    merge_options,
    parse_resources,
    try_match_pattern,
)
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import http_date, is_entity_header, parse_etags

from api.cache.store import ResponseCache, cache_key
from api.web.conditional import public_cache_control
from api.web.observability import SECURITY_HEADER_LIST, log_access, request_id_for

# Requests whose answer Flask's conditional handling shapes in ways the front does not
# copy (make_conditional's 412 on If-Match, its Date on If-Modified-Since): Flask's
# hit path answers them, from the same cache.
_FLASK_ONLY = ("HTTP_AUTHORIZATION", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE")
_OK = "200 OK"
_NOT_MODIFIED = "304 NOT MODIFIED"  # werkzeug's spelling of the status line
_CORS_MEMO_SIZE = 256


class CacheFront:
    def __init__(
        self,
        app: Flask,
        wsgi_app: Callable,
        cache: ResponseCache,
        generation: Callable[[], int],
        cors_options: dict | None,
    ):
        self.flask_app = wsgi_app  # Flask's own wsgi_app: everything the front leaves
        self.cache = cache
        self.generation = generation
        self.cors = CorsHeaders(app, cors_options)
        self.after = (
            ("Cache-Control", public_cache_control(app.config["MARGINALIA"])),
            ("Vary", "Authorization"),
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD")
        if method != "GET" and method != "HEAD":
            return self.flask_app(environ, start_response)
        key = cache_key(environ)
        entry = self.cache.peek(key)
        if entry is None or not entry.early or any(name in environ for name in _FLASK_ONLY):
            return self.flask_app(environ, start_response)
        try:
            cors = self.cors(environ, method)
            self.generation()  # drops what new events changed
        except Exception:  # Flask's path tries again and answers any error properly
            return self.flask_app(environ, start_response)
        entry = self.cache.get(key)
        if entry is None or not entry.early:
            return self.flask_app(environ, start_response)
        return self._answer(entry, environ, method, cors, started, start_response)

    def _answer(self, entry, environ, method, cors, started, start_response) -> Iterable[bytes]:
        status, body = _OK, entry.body
        given = environ.get("HTTP_IF_NONE_MATCH")
        if given is None:
            headers = list(entry.head)
        else:
            # As Flask's path: a strong match (or `*`) is the cache's own bare 304; a weak
            # one is make_conditional's, turning the 200 (Date stamped, as on a 200) into
            # a 304 that werkzeug strips of its entity headers but not of Link.
            etags = parse_etags(given)
            if etags.contains(entry.etag):
                status, headers = _NOT_MODIFIED, [entry.head[-1]]
            elif etags.contains_weak(entry.etag):
                status = _NOT_MODIFIED
                headers = [h for h in entry.head if not is_entity_header(h[0])]
                headers.append(("Date", http_date()))
            else:
                headers = [*entry.head, ("Date", http_date())]
        request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID"))
        headers.extend(self.after)
        headers.append(("X-Request-ID", request_id))
        headers.extend(SECURITY_HEADER_LIST)
        headers.extend(cors)
        code = 304 if status is _NOT_MODIFIED else 200
        log_access(method, _request_path(environ), code, started, request_id=request_id)
        start_response(status, headers)
        return [b"" if code == 304 or method == "HEAD" else body]


def _request_path(environ: dict) -> str:
    """werkzeug's `request.path`: PATH_INFO decoded as UTF-8, one leading slash."""
    raw = environ.get("PATH_INFO") or ""
    return "/" + raw.encode("latin1").decode(errors="replace").lstrip("/")


class CorsHeaders:
    """The CORS headers flask-cors' after_request hook adds to a GET or HEAD response,
    computed by flask-cors' own functions from the options the app gave it."""

    def __init__(self, app: Flask, options: dict | None):
        self.resources = []
        if options is not None:
            merged = merge_options(app, options)
            self.resources = [
                (pattern, get_cors_options(app, options, resource_options))
                for pattern, resource_options in parse_resources(merged.get("resources", r"/*"))
            ]
        self._memo: dict[tuple, tuple[tuple[str, str], ...]] = {}

    def __call__(self, environ: dict, method: str) -> tuple[tuple[str, str], ...]:
        if not self.resources:
            return ()
        path = unquote(_request_path(environ))
        index = next(
            (
                index
                for index, (pattern, _) in enumerate(self.resources)
                if try_match_pattern(path, pattern, caseSensitive=True)
            ),
            None,
        )
        if index is None:
            return ()
        # For GET and HEAD flask-cors reads only these two request headers.
        origin = environ.get("HTTP_ORIGIN")
        private_network = environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK")
        memo_key = (index, origin, private_network)
        found = self._memo.get(memo_key)
        if found is None:
            options = self.resources[index][1]
            computed = get_cors_headers(options, EnvironHeaders(environ), method)
            # `.items()` as flask-cors' set_cors_headers adds them: the first of each.
            found = tuple((name, str(value)) for name, value in computed.items())
            if any("\n" in value or "\r" in value for _, value in found):
                raise ValueError("a header value would span lines")  # werkzeug's refusal
            if len(self._memo) >= _CORS_MEMO_SIZE:  # Origin is the client's to choose
                self._memo.clear()
            self._memo[memo_key] = found
        return found
