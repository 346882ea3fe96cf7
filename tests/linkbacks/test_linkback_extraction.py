"""Link extraction and the pingback excerpt (pure: no app)."""

from api.demo.seed import read_seed
from api.linkbacks.extraction import extract_links
from api.rendering import render_post, sanitize_html

BASE = "https://blog.example/this-post/"


def links_of(markdown: str, base: str = BASE):
    return extract_links(render_post(markdown), base)


def test_demo_digest_gives_the_seed_pages_excerpt():
    seed = read_seed()
    body = (
        "New translations this week:\n\n"
        f"- [{seed.title}](https://blog.example/liu/)\xa0(Speech, Liu Yunshan, 24 November 2014)\n"
    )
    [link] = links_of(body)
    assert link.url == "https://blog.example/liu/"
    assert link.text == seed.title
    assert link.excerpt == seed.pingback_excerpt


def test_links_are_resolved_against_the_post_url_deduplicated_without_fragments():
    links = links_of(
        "[a](../other/#section) and [b](/root/?q=1) and [c](https://example.org/x#top) "
        "and [a again](https://blog.example/other/) and [c again](https://example.org/x)"
    )
    assert [link.url for link in links] == [
        "https://blog.example/other/",
        "https://blog.example/root/?q=1",
        "https://example.org/x",
    ]
    assert "a again" not in links[0].excerpt or links[0].text == "a"


def test_only_http_links_count():
    links = extract_links(
        '<p><a href="mailto:a@b.example">mail</a> <a href="ftp://x.example/">ftp</a> '
        '<a href="https://ok.example/">ok</a> <a name="anchor">none</a></p>',
        BASE,
    )
    assert [link.url for link in links] == ["https://ok.example/"]


def test_entities_in_hrefs_and_text_are_decoded():
    [link] = extract_links(
        '<p>Tom &amp; Jerry <a href="https://x.example/?a=1&amp;b=2">read &quot;this&quot;</a></p>',
        BASE,
    )
    assert link.url == "https://x.example/?a=1&b=2"
    assert link.excerpt == '[…] Tom & Jerry read "this" […]'


def test_excerpt_keeps_about_100_characters_either_side_cut_at_words():
    before = " ".join(f"before{i}" for i in range(40))
    after = " ".join(f"after{i}" for i in range(40))
    [link] = links_of(f"{before} [the link](https://x.example/) {after}")
    text = link.excerpt.removeprefix("[…] ").removesuffix(" […]")
    left, _, right = text.partition("the link")
    assert 80 <= len(left.strip()) <= 100
    assert 80 <= len(right.strip()) <= 100
    assert left.strip().split()[0] in before.split()  # whole words only
    assert right.strip().split()[-1] in after.split()
    assert left.endswith("before39 ")
    assert right.startswith(" after0")


def test_excerpt_stays_within_the_block_of_the_link():
    [link] = links_of(
        "A paragraph before, not part of it.\n\n"
        "Its own paragraph with **the [link](https://x.example/)** inside.\n\n"
        "- a list after\n"
    )
    assert link.excerpt == "[…] Its own paragraph with the link inside. […]"


def test_whitespace_is_collapsed_and_inline_tags_do_not_split_words():
    [link] = extract_links(
        '<p>Line one\n\n   <em>emph</em>asis<a href="https://x.example/">li<b>nk</b></a>,\tend</p>',
        BASE,
    )
    assert link.excerpt == "[…] Line one emphasislink, end […]"


def test_markup_heavy_context_still_gives_the_text():
    tags = "".join(f'<a href="https://n{i}.example/"><b><i>w{i}</i></b></a> ' for i in range(60))
    links = extract_links(f"<p>{tags}</p>", BASE)
    assert len(links) == 60
    middle = links[30].excerpt
    assert "w29 w30 w31" in middle
    assert "<" not in middle and "href" not in middle


def test_source_pages_from_elsewhere_are_sanitised_first():
    page = (
        "<html><head><script>var a = '<a href=\"https://evil.example/\">';</script></head>"
        "<body><!-- <a href='https://hidden.example/'>x</a> -->"
        "<div class=post><P>See <A HREF='https://blog.example/liu/' onclick=x>this</A>.</P>"
        "</div></body></html>"
    )
    links = extract_links(sanitize_html(page), "https://elsewhere.example/post")
    assert [link.url for link in links] == ["https://blog.example/liu/"]
    assert links[0].excerpt == "[…] See this. […]"


def test_anchor_without_closing_tag_or_text():
    [link] = extract_links('<p>Lead <a href="https://x.example/"></a></p>', BASE)
    assert link.text == ""
    assert link.excerpt == "[…] Lead […]"
