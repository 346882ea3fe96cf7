"""Where a page wants to be told it was linked: its Webmention or Pingback endpoint.

Webmention (W3C Recommendation, section 3.1.2): the first HTTP `Link` header with
rel=webmention, else the first `<link>` or `<a>` element with rel=webmention in
document order; a relative URL is resolved against the page's URL after redirects.
Pingback 1.0: the `X-Pingback` header, else `<link rel="pingback" href="...">`.
Webmention wins when a page offers both.

Discovery reads arbitrary third-party HTML, so it uses a real parser (comments and
`<template>`-like oddities must not yield endpoints), and stops at the first answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

WEBMENTION = "webmention"
PINGBACK = "pingback"
_HTML_TYPES = ("text/html", "application/xhtml+xml")

# One link-value of an RFC 8288 Link header: <uri> followed by ;-parameters.
_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,\"=]+(?:=\s*(?:\"[^\"]*\"|[^;,\"]*))?)*)")
_LINK_PARAM = re.compile(r";\s*([^;=,\s]+)\s*(?:=\s*(?:\"([^\"]*)\"|([^;,\"\s]*)))?")


@dataclass(frozen=True)
class Endpoint:
    protocol: str  # "webmention" or "pingback"
    url: str


def discover(
    page_url: str, headers: Iterable[tuple[str, str]], body: str, content_type: str | None
) -> Endpoint | None:
    """The endpoint a fetched page advertises (page_url: its URL after redirects)."""
    header_list = [(name.lower(), value) for name, value in headers]
    is_html = content_type is None or content_type.split(";")[0].strip().lower() in _HTML_TYPES
    for name, value in header_list:
        if name == "link" and (href := _webmention_in_link_header(value)) is not None:
            return Endpoint(WEBMENTION, _resolve(page_url, href))
    found = _scan_html(body) if is_html else _Found()
    if found.webmention is not None:
        return Endpoint(WEBMENTION, _resolve(page_url, found.webmention))
    for name, value in header_list:
        if name == "x-pingback" and value.strip():
            return Endpoint(PINGBACK, _resolve(page_url, value.strip()))
    if found.pingback is not None:
        return Endpoint(PINGBACK, _resolve(page_url, found.pingback))
    return None


def _webmention_in_link_header(value: str) -> str | None:
    for link in _LINK_VALUE.finditer(value):
        for param in _LINK_PARAM.finditer(link.group(2)):
            name, quoted, bare = param.groups()
            if name.lower() == "rel" and WEBMENTION in (quoted or bare or "").lower().split():
                return link.group(1)
    return None


def _resolve(page_url: str, href: str) -> str:
    return urljoin(page_url, href.strip()).partition("#")[0]


class _Found:
    webmention: str | None = None
    pingback: str | None = None


class _Done(Exception):
    """The parser has what it needs; stop reading the page."""


class _EndpointParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = _Found()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "a"):
            return
        values = dict(attrs)
        href, rel = values.get("href"), (values.get("rel") or "").lower().split()
        if href is None:
            return
        if WEBMENTION in rel:
            self.found.webmention = href
            raise _Done
        if PINGBACK in rel and tag == "link" and self.found.pingback is None:
            self.found.pingback = href

    handle_startendtag = handle_starttag


def _scan_html(body: str) -> _Found:
    parser = _EndpointParser()
    try:
        parser.feed(body)
        parser.close()
    except _Done:
        pass
    return parser.found
