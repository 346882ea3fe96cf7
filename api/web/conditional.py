"""ETags, conditional requests and cache headers: HTTP caching in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, current_app, request

from api.errors import PreconditionFailed


def etag_of_bytes(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def etag_of_data(data) -> str:
    """The ETag a GET of this data carries: the hash of its exact JSON bytes."""
    return etag_of_bytes(current_app.json.response(data).get_data())


def if_match_guard(represent: Callable[[object], dict]) -> Callable[[object], None] | None:
    """A precondition for a service: the resource must still be what the client saw.

    `represent` gives the JSON the client fetched the ETag from; the guard is checked
    by the service after it has locked the row.
    """
    if not request.if_match:
        return None
    wanted = request.if_match

    def guard(resource) -> None:
        if wanted.star_tag:
            return
        if not wanted.contains(etag_of_data(represent(resource))):
            raise PreconditionFailed(
                "The resource changed since you fetched it; GET it again and retry."
            )

    return guard


def public_cache_control(settings) -> str:
    """Cache-Control of an anonymous 200 or 304 read (the cache front sends it too)."""
    return f"public, max-age={settings.public_max_age}"


def finish_response(response: Response) -> Response:
    """ETag and 304 for successful reads; Cache-Control for everything."""
    method = request.method
    if method in ("GET", "HEAD") and response.status_code == 200 and response.is_json:
        if not response.get_etag()[0]:
            response.set_etag(etag_of_bytes(response.get_data()))
        headers = request.headers
        if "If-None-Match" in headers or "If-Modified-Since" in headers:
            response.make_conditional(request)  # only when there is something to compare
    if "Cache-Control" not in response.headers:
        settings = current_app.config["MARGINALIA"]
        if request.authorization is not None:
            response.headers["Cache-Control"] = "private, no-store"
        elif method in ("GET", "HEAD") and response.status_code in (200, 304):
            response.headers["Cache-Control"] = public_cache_control(settings)
        else:
            response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response
