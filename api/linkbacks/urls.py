"""Which URLs are posts of this site: the `MARGINALIA_SITE_URL` pattern, read backwards."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit

MAX_URL_LENGTH = 2000  # the longest source/target URL we store


class SitePattern:
    """`https://blog.example/{slug}/` -> which slug a URL names, if any.

    Scheme and host compare case-insensitively and http/https are the same site; a
    missing or extra trailing slash and a query string (unless the pattern has one)
    are tolerated, as browsers and people write links that way.
    """

    def __init__(self, site_url: str) -> None:
        prefix, _, suffix = site_url.partition("{slug}")
        parts = urlsplit(prefix)
        self._host = parts.netloc.lower()
        self._path_prefix = parts.path
        self._query_in_pattern = "?" in site_url
        slug_chars = r"[^/?#&]+" if self._query_in_pattern else r"[^/?#]+"
        self._rest = re.compile(
            re.escape(parts.path + (f"?{parts.query}" if parts.query else ""))
            + f"({slug_chars})"
            + re.escape(suffix.rstrip("/"))
            + "/?"
        )

    def slug_of(self, url: str) -> str | None:
        """The slug a URL of this site names, or None for any other URL."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != self._host:
            return None
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        match = self._rest.fullmatch(rest)
        if match is None and parts.query and not self._query_in_pattern:
            match = self._rest.fullmatch(parts.path)
        return unquote(match.group(1)) if match else None

    def is_ours(self, url: str) -> bool:
        """True for any URL on this site's host (post or not)."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.netloc.lower() == self._host


@lru_cache(maxsize=8)
def site_pattern(site_url: str) -> SitePattern:
    return SitePattern(site_url)


def without_fragment(url: str) -> str:
    return url.partition("#")[0]


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host, of a length we store."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def same_resource(first: str, second: str) -> bool:
    """Equal URLs up to the fragment, scheme/host case and a trailing slash."""
    return _normalised(first) == _normalised(second)


def _normalised(url: str) -> str:
    parts = urlsplit(without_fragment(url))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
