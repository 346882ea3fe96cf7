"""Does the page that pinged us really link the post? Fetch it and look.

Network and parsing only, no database (the callers make sure no transaction is open).
What is kept of the remote page, its title and the excerpt, goes through
api/rendering.py like any other text from outside.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from api.infra.outbound import GuardedClient, OutboundError
from api.linkbacks.extraction import ELLIPSIS, extract_links
from api.linkbacks.retries import TRANSIENT_REASONS, is_transient_status
from api.rendering import plain_text, sanitize_html

TITLE_CHARS = 200  # a pingback entry's author name holds this much
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TYPES = ("text/html", "application/xhtml+xml")

LINKED = "linked"
NO_LINK = "no_link"
MISSING = "missing"  # the source cannot be had: gone, refused, not a page
UNAVAILABLE = "unavailable"  # the source's server is having trouble: try later


@dataclass(frozen=True)
class SourceCheck:
    outcome: str
    title: str = ""
    excerpt_html: str = ""
    detail: str = ""
    page_text: str = ""  # the source as fetched (HTML), for its microformats
    page_url: str = ""


def check_source(
    client: GuardedClient, source_url: str, links_target: Callable[[str], bool]
) -> SourceCheck:
    """Fetch `source_url` and find a link for which `links_target(url)` is true."""
    try:
        page = client.get(source_url, truncate=True)
    except OutboundError as exc:
        outcome = UNAVAILABLE if exc.reason in TRANSIENT_REASONS else MISSING
        return SourceCheck(outcome, detail=exc.message)
    if page.status_code >= 400 or page.status_code < 200:
        outcome = UNAVAILABLE if is_transient_status(page.status_code) else MISSING
        return SourceCheck(outcome, detail=f"the source answered HTTP {page.status_code}")
    content_type = (page.headers.get("content-type") or "text/html").split(";")[0].strip()
    text = page.text
    if content_type.lower() in _HTML_TYPES:
        excerpt = _linking_excerpt(text, page.url, links_target)
    else:
        excerpt = _mentioning_excerpt(text, links_target)
    if excerpt is None:
        return SourceCheck(NO_LINK, detail="the source does not link the target")
    return SourceCheck(
        LINKED,
        title=_title(text, page.url),
        excerpt_html=excerpt_html(excerpt),
        page_text=text if content_type.lower() in _HTML_TYPES else "",
        page_url=str(page.url),
    )


def excerpt_html(excerpt: str) -> str:
    """A `[…] … […]` excerpt as the entry's HTML body."""
    return sanitize_html(f"<p>{html.escape(excerpt, quote=False)}</p>")


def clip_title(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + ELLIPSIS


def _linking_excerpt(
    page_html: str, page_url: str, links_target: Callable[[str], bool]
) -> str | None:
    # Sanitised first: scripts, styles and comments go, and the extractor's
    # assumptions about the markup hold.
    for link in extract_links(sanitize_html(page_html), page_url):
        if links_target(link.url):
            return link.excerpt
    return None


def _mentioning_excerpt(text: str, links_target: Callable[[str], bool]) -> str | None:
    """Plain text and other types: the target's URL written out in the text."""
    for word in text.split():
        candidate = word.strip("<>()[]{}\"',.;")
        if candidate.startswith(("http://", "https://")) and links_target(candidate):
            at = text.find(word)
            around = " ".join(text[max(0, at - 100) : at + len(word) + 100].split())
            return f"[{ELLIPSIS}] {around} [{ELLIPSIS}]"
    return None


def _title(page_html: str, page_url: str) -> str:
    match = _TITLE.search(page_html)
    title = plain_text(sanitize_html(match.group(1))) if match else ""
    return clip_title(title or urlsplit(page_url).hostname or page_url)
