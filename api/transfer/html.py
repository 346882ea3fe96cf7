"""WordPress's stored post and comment text as HTML: block comments dropped, paragraphs
made as WordPress's wpautop makes them when it shows a post."""

from __future__ import annotations

import re

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.S)
_PRE = re.compile(r"(<pre\b.*?</pre>)", re.S | re.I)
_PARAGRAPHS = re.compile(r"\n\s*\n")
_BLOCK_START = re.compile(
    r"^<(?:table|thead|tfoot|caption|colgroup|col|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|"
    r"form|blockquote|address|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|"
    r"header|footer|nav|figure|figcaption|details|menu|summary|iframe|video|audio)\b",
    re.I,
)


def wordpress_html(text: str) -> str:
    """HTML blocks, one per paragraph, separated by blank lines: as a post body (which
    is Markdown with HTML allowed) each block passes through as it is, to the sanitiser.
    Text outside a block element becomes a `<p>`, its single newlines `<br />`."""
    text = _BLOCK_COMMENT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks: list[str] = []
    for index, part in enumerate(_PRE.split(text)):
        if index % 2:  # a <pre> element, blank lines and all
            blocks.append(part.strip())
            continue
        for chunk in _PARAGRAPHS.split(part):
            chunk = chunk.strip()
            if not chunk:
                continue
            if _BLOCK_START.match(chunk):
                blocks.append(chunk)
            else:
                blocks.append("<p>" + "<br />\n".join(chunk.split("\n")) + "</p>")
    return "\n\n".join(blocks)
