"""Markdown to safe HTML: the only way user text becomes markup anywhere in the API.

Rendering happens when text is saved; reads serve the stored HTML.
"""

from __future__ import annotations

import html as html_lib
import re

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
