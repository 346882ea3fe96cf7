"""Markdown in, inert HTML out: the OWASP filter-evasion vectors must not survive."""

from html.parser import HTMLParser

import pytest

from api.rendering import plain_text, render_comment, render_post

# A selection of the OWASP XSS filter evasion cheat sheet, in Markdown and raw HTML.
VECTORS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//<</SCRIPT>',
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "<svg/onload=alert('XSS')>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<div style=\"background-image: url(javascript:alert('XSS'))\">x</div>",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH" AllowScriptAccess>',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<p title="</p><script>alert(1)</script>">x</p>',
    "<!--<script>alert(1)</script>-->",
    "<base href=\"javascript:alert('XSS');//\">",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
]


class ActiveContentFinder(HTMLParser):
    """Collects anything in parsed HTML that a browser could execute or restyle."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings = []

    def handle_starttag(self, tag, attrs):
        if tag in {
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "form",
            "meta",
            "link",
            "base",
            "svg",
            "math",
            "body",
        }:
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.findings.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "background", "data"} and value:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.findings.append(f"{tag}[{name}={value}]")


def active_content(html: str) -> list[str]:
    finder = ActiveContentFinder()
    finder.feed(html)
    finder.close()
    return finder.findings


@pytest.mark.parametrize("vector", VECTORS)
@pytest.mark.parametrize("render", [render_post, render_comment], ids=["post", "comment"])
def test_xss_vectors_come_out_inert(render, vector):
    assert active_content(render(vector)) == []


def test_comments_escape_raw_html_and_mark_links():
    html = render_comment("Hi <b>there</b>, see [this](https://example.org).")
    assert "&lt;b&gt;" in html
    assert 'rel="nofollow ugc noopener"' in html


def test_posts_keep_safe_markup():
    html = render_post("# Title\n\n<em>kept</em> and ```code```\n\n| a |\n|---|\n| 1 |")
    assert "<h1>Title</h1>" in html and "<em>kept</em>" in html and "<table>" in html


def test_plain_text_collapses_markup_and_entities():
    assert plain_text(render_post("a &amp; b\n\nc *d*")) == "a & b c d"
