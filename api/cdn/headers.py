"""The headers that let a CDN or Varnish keep a public read and purge it by key.

Browsers keep Cache-Control (a short max-age: a browser's copy cannot be purged). The
caches in front get their own, longer lifetime in the fields targeted at them:
Surrogate-Control (Varnish with deploy/varnish/default.vcl, Fastly; both strip it) and
CDN-Cache-Control (RFC 9213: Cloudflare, Akamai and others). Neither adds `s-maxage` to
Cache-Control, which every shared cache would honour, including ones no purge reaches.
The keys go in Surrogate-Key (space-separated: Varnish xkey, Fastly) and, by setting,
Cache-Tag (comma-separated: Cloudflare).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response

from api.cache.keys import EVERYTHING, declared_keys
from api.cache.responses import public_read
from api.cdn.purgers import valid_keys


def cdn_headers(keys: Iterable[str], settings) -> list[tuple[str, str]]:
    """Headers for an anonymous public 200/304 read built from `keys`; none without keys
    (a response nothing can purge keeps to Cache-Control alone)."""
    wanted = valid_keys(keys)
    if not wanted or EVERYTHING in wanted:  # no key names all it was built from
        return []
    lifetime = f"max-age={settings.cdn_s_maxage}"
    if settings.cdn_stale_while_revalidate:
        lifetime += f", stale-while-revalidate={settings.cdn_stale_while_revalidate}"
    headers = [
        ("Surrogate-Key", " ".join(wanted)),
        ("Surrogate-Control", lifetime),
        ("CDN-Cache-Control", lifetime),
    ]
    if settings.cdn_cache_tag_header:
        headers.append(("Cache-Tag", ",".join(wanted)))
    return headers


def init_app(app: Flask) -> None:
    """Add the CDN headers to anonymous public 200 reads; call after the response cache's
    init_app, so that its store hook (which runs after this one) keeps them with the
    entry and every hit replays them. Staff (Authorization) reads never get them."""
    settings = app.config["MARGINALIA"]

    @app.after_request
    def add_cdn_headers(response: Response) -> Response:
        if (
            response.status_code != 200
            or "Surrogate-Key" in response.headers  # a hit replaying its entry's
            or not public_read(app)
        ):
            return response
        for name, value in cdn_headers(declared_keys(), settings):
            response.headers[name] = value
        return response
