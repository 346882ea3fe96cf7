"""Markdown to safe HTML: the only way user text becomes markup anywhere in the API.

Rendering happens when text is saved; reads serve the stored HTML.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

POST_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
COMMENT_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "strong",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_TAG = re.compile(r"<[^>]*>")
_CODE_CLASS = re.compile(r"^language-[\w+-]{1,40}$")

# Posts come from staff and may carry a safe HTML subset; comments never carry raw HTML.
_post_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
_post_markdown.enable("strikethrough")
_comment_markdown = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_comment_markdown.disable(
    ["image", "heading", "lheading", "table", "html_block", "html_inline"], ignoreInvalid=True
)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        return value if _CODE_CLASS.match(value) else None
    return value


def _clean(html: str, tags: set[str], link_rel: str | None) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes={tag: attrs for tag, attrs in ATTRIBUTES.items() if tag in tags},
        url_schemes=URL_SCHEMES,
        link_rel=link_rel,
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


# Explicit embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they
# reorder how the text around them is shown ("Trojan Source"; a name that reads
# backwards), and nothing a commenter writes needs them. The marks (LRM, RLM, ALM)
# stay: right-to-left text uses them and they reorder nothing around them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text)


def render_post(markdown: str) -> str:
    return _clean(_post_markdown.render(markdown), POST_TAGS, link_rel="noopener")


def render_comment(markdown: str) -> str:
    return _clean(
        _comment_markdown.render(markdown), COMMENT_TAGS, link_rel="nofollow ugc noopener"
    )


def sanitize_html(html: str, *, links: str = "nofollow ugc noopener") -> str:
    """Markup from elsewhere (pingback sources): the comment subset, links marked."""
    return _clean(html, COMMENT_TAGS, link_rel=links)


def plain_text(html: str) -> str:
    """Visible text of sanitised HTML, whitespace collapsed (excerpts, search)."""
    text = html_lib.unescape(_TAG.sub(" ", html))
    return " ".join(text.split())


_BLOCKS = {
    "p", "div", "blockquote", "pre", "figure", "figcaption", "table", "tr", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip


class _PlainText(HTMLParser):
    """Text of sanitised HTML with its block structure: blocks apart by a blank line,
    list items and line breaks on lines of their own, preformatted text kept as is."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[bool, list[str]]] = [(False, [])]
        self.in_pre = False

    def _start_block(self) -> None:
        if self.blocks[-1][1]:
            self.blocks.append((self.in_pre, []))
        else:
            self.blocks[-1] = (self.in_pre, self.blocks[-1][1])

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self.in_pre = self.in_pre or tag == "pre"
            self._start_block()
        elif tag == "li":
            self.blocks[-1][1].append("\n- ")
        elif tag == "br":
            self.blocks[-1][1].append("\n")
        elif tag in ("td", "th"):
            self.blocks[-1][1].append(" ")

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self.in_pre = self.in_pre and tag != "pre"
            self._start_block()

    def handle_data(self, data):
        # Outside <pre>, a newline in the markup is a space; lines come from <br>, <li>.
        self.blocks[-1][1].append(data if self.in_pre else re.sub(r"\s", " ", data))

    def text(self) -> str:
        paragraphs = []
        for pre, parts in self.blocks:
            text = "".join(parts)
            if pre:
                paragraph = text.strip("\n")
            else:
                lines = (" ".join(line.split()) for line in text.split("\n"))
                paragraph = "\n".join(line for line in lines if line)
            if paragraph.strip():
                paragraphs.append(paragraph)
        return "\n\n".join(paragraphs)


def plain_text_document(html: str) -> str:
    """Sanitised HTML as a plain-text document (`formats=plaintext`): paragraphs apart
    by a blank line, list items as `- ` lines, no markup, entities decoded."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.text()
