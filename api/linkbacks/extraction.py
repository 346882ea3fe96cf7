"""The links of a page and the text around each, as a pingback excerpt shows it.

Input is HTML that went through api/rendering.py (a post's stored body, or a source
page after `sanitize_html`): well-formed tags, quoted attributes, no scripts or
comments. That makes a few regular expressions run in C enough; a full HTML parser
would cost several times as much on a large page (see bench/linkbacks_extract.py).

The excerpt follows WordPress: the text of the block (paragraph, list item, cell...)
holding the link, up to about 100 characters either side of it, cut at word
boundaries, written `[…] text […]`.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

CONTEXT_CHARS = 100  # text kept either side of the link
LINK_TEXT_CHARS = 200  # a longer link text is cut
ELLIPSIS = "\u2026"

# The sanitiser escapes `<` and `>` inside attribute values and text, so `<[^>]*>` is
# exactly one tag: no need for attribute-aware (and much slower) patterns.
_ANCHOR = re.compile(r"<a\s([^>]*)>", re.IGNORECASE)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_ANCHOR_END = re.compile(r"</a\s*>", re.IGNORECASE)
# Tag names come lower-case out of the sanitiser; the alternation is factored by first
# letter because the engine tries it at every `<`.
_BLOCK_NAMES = (
    r"(?:a(?:ddress|rticle|side)|b(?:lockquote|r)|d(?:[dlt]|iv)|f(?:igcaption|igure|ooter)"
    r"|h(?:[1-6r]|eader)|li|main|nav|ol|p(?:re)?|section|t(?:able|body|[dhr]|foot|head)|ul)"
)
_BLOCK_TAG = re.compile(rf"</?{_BLOCK_NAMES}\b[^>]*>")
# Greedy lead-in: one search finds the *last* block tag of a span.
_LAST_BLOCK_TAG = re.compile(rf"(?s:.*)</?{_BLOCK_NAMES}\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")
# ASCII whitespace only: a no-break space is typography the author meant (the seed has one).
_SPACE = re.compile(r"[ \t\n\r\f\v]+")


class Link:
    """One link of a page; its text and excerpt are worked out when first asked for
    (most links of a saved post are only compared, never excerpted)."""

    __slots__ = ("_excerpt", "_open_end", "_page", "_start", "_text", "url")

    def __init__(self, url: str, page: str, start: int, open_end: int) -> None:
        self.url = url  # absolute, without fragment
        self._page, self._start, self._open_end = page, start, open_end
        self._text: str | None = None
        self._excerpt: str | None = None

    @property
    def text(self) -> str:
        """The link's own text."""
        if self._text is None:
            self._work_out()
        return self._text

    @property
    def excerpt(self) -> str:
        """`[…] text around the link […]`, within the link's block."""
        if self._excerpt is None:
            self._work_out()
        return self._excerpt

    def __repr__(self) -> str:
        return f"Link({self.url!r})"

    def _work_out(self) -> None:
        page, start, open_end = self._page, self._start, self._open_end
        close = _ANCHOR_END.search(page, open_end, _block_end(page, open_end, len(page)))
        text_end, after = (close.start(), close.end()) if close else (open_end, open_end)
        link_text = _clip_right(_text(page[open_end:text_end]), LINK_TEXT_CHARS)
        before_text = _text_before(page, start)
        after_text = _text_after(page, after)
        excerpt = _SPACE.sub(" ", f"{before_text}{link_text}{after_text}").strip()
        self._text = link_text.strip()
        self._excerpt = f"[{ELLIPSIS}] {excerpt} [{ELLIPSIS}]"


def extract_links(page_html: str, base_url: str) -> list[Link]:
    """Every http(s) `<a href>` of `page_html`, resolved against `base_url`.

    One entry per URL (fragments dropped), in document order; the excerpt is taken
    around the first occurrence.
    """
    resolved: dict[str, str | None] = {}
    links: dict[str, Link] = {}
    for anchor in _ANCHOR.finditer(page_html):
        href_match = _HREF.search(anchor.group(1))
        if href_match is None:
            continue
        href = next(group for group in href_match.groups() if group is not None)
        if href not in resolved:
            resolved[href] = _absolute(href, base_url)
        url = resolved[href]
        if url is not None and url not in links:
            links[url] = Link(url, page_html, anchor.start(), anchor.end())
    return list(links.values())


def _absolute(href: str, base_url: str) -> str | None:
    href = html.unescape(href).strip()
    if not href[:8].lower().startswith(("http://", "https://")):
        href = urljoin(base_url, href)  # slow-ish: only relative references pay for it
        if not href[:8].lower().startswith(("http://", "https://")):
            return None  # mailto:, javascript:, ...
    return href.partition("#")[0]


def _block_start(page: str, position: int, limit: int) -> int:
    """End of the last block tag between `limit` and `position`, else `limit`."""
    match = _LAST_BLOCK_TAG.match(page, limit, position)
    return match.end() if match else limit


def _block_end(page: str, position: int, limit: int) -> int:
    """Start of the first block tag between `position` and `limit`, else `limit`."""
    match = _BLOCK_TAG.search(page, position, limit)
    return match.start() if match else limit


def _text(fragment: str) -> str:
    """Visible text with whitespace runs collapsed, but kept at the edges (they separate
    words from the link text)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", fragment)))


def _text_before(page: str, position: int) -> str:
    window = CONTEXT_CHARS * 4
    while True:
        limit = max(0, position - window)
        start = _block_start(page, position, limit)
        fragment = page[start:position]
        if start == limit and limit > 0:
            fragment = _drop_partial_tag_at_start(fragment)
        text = _text(fragment)
        if len(text) > CONTEXT_CHARS or start > limit or limit == 0:
            return _clip_left(text, CONTEXT_CHARS)
        window *= 4  # markup-heavy: look further back


def _text_after(page: str, position: int) -> str:
    window = CONTEXT_CHARS * 4
    while True:
        limit = min(len(page), position + window)
        end = _block_end(page, position, limit)
        fragment = page[position:end]
        if end == limit and limit < len(page):
            fragment = _drop_partial_tag_at_end(fragment)
        text = _text(fragment)
        if len(text) > CONTEXT_CHARS or end < limit or limit == len(page):
            return _clip_right(text, CONTEXT_CHARS)
        window *= 4


def _drop_partial_tag_at_start(fragment: str) -> str:
    close, open_ = fragment.find(">"), fragment.find("<")
    if close != -1 and (open_ == -1 or close < open_):
        return fragment[close + 1 :]
    return fragment


def _drop_partial_tag_at_end(fragment: str) -> str:
    open_, close = fragment.rfind("<"), fragment.rfind(">")
    if open_ > close:
        return fragment[:open_]
    return fragment


def _clip_left(text: str, limit: int) -> str:
    """The last `limit` characters, starting at a word boundary."""
    if len(text) <= limit:
        return text
    clipped = text[-limit:]
    if not text[-limit - 1].isspace():
        _, _, clipped = clipped.partition(" ")
    return clipped


def _clip_right(text: str, limit: int) -> str:
    """The first `limit` characters, ending at a word boundary."""
    if len(text) <= limit:
        return text
    clipped = text[:limit]
    if not text[limit].isspace():
        clipped, _, _ = clipped.rpartition(" ")
    return clipped
