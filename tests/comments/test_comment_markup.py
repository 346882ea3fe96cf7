"""A comment's HTML is safe whatever was typed: vectors from the OWASP XSS filter-evasion
cheat sheet come back with no executable markup, and links are marked nofollow ugc."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

OWASP_VECTORS = [
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',  # noqa: E501
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",  # noqa: E501
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",  # noqa: E501
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=//xss.example/.j>",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=https://xss.example/scriptlet.html <",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<svg/onload=alert('XSS')>",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>',  # noqa: E501
    '<a href="javascript&colon;alert(1)">x</a>',
    "[markdown link](javascript:alert('XSS'))",
    "[entity link](jav&#x61;script:alert(1))",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "[vb](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "`<script>` in code and <b onclick=alert(1)>bold</b>",
]

EXECUTABLE_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
    "math", "meta", "link", "base", "form", "input", "button", "img", "body", "table",
    "div", "title", "textarea", "xmp",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "dynsrc", "lowsrc", "data"}
_CONTROL = re.compile(r"[\x00-\x20]+")


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in EXECUTABLE_TAGS:
            self.problems.append(f"<{tag}>")
        attributes = dict(attrs)
        if tag == "a":
            self.links.append(attributes)
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name == "style":
                self.problems.append(f"{tag}[style]")
            if name in URL_ATTRIBUTES and value:
                scheme = _CONTROL.sub("", html.unescape(value)).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"{tag}[{name}={value}]")


def inspect(markup: str) -> Inspector:
    inspector = Inspector()
    inspector.feed(markup)
    inspector.close()
    return inspector


@pytest.mark.parametrize("vector", OWASP_VECTORS)
def test_owasp_vectors_leave_no_executable_markup(submit, post, stored, vector):
    response = submit(post["slug"], vector)
    assert response.status_code == 202, response.get_json()
    returned = response.get_json()["body_html"]
    assert returned == stored(response.get_json()["id"]).body_html
    assert inspect(returned).problems == [], returned


def test_links_are_nofollow_ugc_and_raw_html_is_text(submit, post):
    response = submit(post["slug"], "Read [this](https://example.org/a) and <b>bold</b>.")
    markup = response.get_json()["body_html"]
    (link,) = inspect(markup).links
    assert link["href"] == "https://example.org/a"
    assert {"nofollow", "ugc"} <= set(link["rel"].split())
    assert "&lt;b&gt;bold&lt;/b&gt;" in markup
