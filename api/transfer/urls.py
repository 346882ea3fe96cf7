"""One key per web page, for matching a URL from an export (a Disqus thread's link, a
WordPress post's old permalink or guid) to a post here without guessing.

Two URLs get the same key only when every site serves them as the same page: http and
https, with or without `www.`, a trailing slash, a fragment, a default port, tracking
query parameters. WordPress's own id parameters (`?p=123`, `?page_id=`, …) are kept,
since they are the page. Anything else (another path, another host) is another key.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

# WordPress's query-string permalinks: the parameter names the page.
_PAGE_PARAMETERS = ("p", "page_id", "attachment_id", "cat", "tag", "author")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def page_key(url: str) -> str | None:
    """The page's key: `https://www.Example.com/2019/05/hello/?utm_source=x#c12` gives
    `example.com/2019/05/hello`. None for anything not an http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if port is not None and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k in _PAGE_PARAMETERS]
    query = f"?{urlencode(sorted(kept))}" if kept else ""
    return f"{host}{path}{query}"
