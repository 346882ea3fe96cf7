"""Hostile and broken XML files end with one ImportFileError and a one-line message,
for both XML readers (WordPress and Disqus share the defused parsing)."""

from __future__ import annotations

import io

import pytest

from api.transfer import xml_events
from api.transfer.disqus import read_disqus
from api.transfer.errors import ImportFileError
from api.transfer.wordpress import read_wordpress

WXR_OPEN = (
    '<rss version="2.0" xmlns:wp="https://wordpress.org/export/1.2/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
)
WXR_CLOSE = "</channel></rss>"
DISQUS_OPEN = '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
DISQUS_CLOSE = "</disqus>"

READERS = {
    "wordpress": (read_wordpress, "rss", WXR_OPEN, WXR_CLOSE),
    "disqus": (read_disqus, "disqus", DISQUS_OPEN, DISQUS_CLOSE),
}

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE {root} [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
{open}<title>&lol9;</title>{close}"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
{open}<title>&secret;</title>{close}"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
{open}{close}"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE {root} SYSTEM "http://127.0.0.1:9/export.dtd">
{open}{close}"""

UNDECLARED_ENTITY = """<?xml version="1.0"?>
{open}<title>&secret;</title>{close}"""

CASES = {
    "billion laughs": (BILLION_LAUGHS, "DOCTYPE"),
    "external entity": (EXTERNAL_ENTITY, "DOCTYPE"),
    "parameter entity": (PARAMETER_ENTITY, "DOCTYPE"),
    "external DTD": (EXTERNAL_DTD, "http://127.0.0.1:9/export.dtd"),
    "entity never declared": (UNDECLARED_ENTITY, "undefined entity"),
}


def assert_one_clear_line(error: ImportFileError, *words: str) -> None:
    message = str(error)
    assert "\n" not in message and "\r" not in message
    assert 10 < len(message) < 300
    for word in words:
        assert word in message


@pytest.mark.parametrize("reader_name", READERS)
@pytest.mark.parametrize("case", CASES)
def test_hostile_documents_are_refused(reader_name, case):
    read, root, opening, closing = READERS[reader_name]
    template, expected = CASES[case]
    document = template.format(root=root, open=opening, close=closing).encode()
    with pytest.raises(ImportFileError) as caught:
        list(read(io.BytesIO(document)))
    assert_one_clear_line(caught.value, expected)


@pytest.mark.parametrize("reader_name", READERS)
def test_an_empty_file_is_refused(reader_name):
    read = READERS[reader_name][0]
    with pytest.raises(ImportFileError) as caught:
        list(read(io.BytesIO(b"")))
    assert_one_clear_line(caught.value, "empty")


@pytest.mark.parametrize("reader_name", READERS)
def test_a_document_of_another_kind_is_refused(reader_name):
    read = READERS[reader_name][0]
    atom = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
    with pytest.raises(ImportFileError) as caught:
        list(read(io.BytesIO(atom)))
    assert_one_clear_line(caught.value, "not a", "<feed")


def test_a_truncated_export_ends_with_an_error_after_what_it_could_read(wxr_bytes):
    cut = wxr_bytes[: len(wxr_bytes) // 2]
    read = []
    with pytest.raises(ImportFileError) as caught:
        read.extend(read_wordpress(io.BytesIO(cut)))
    assert_one_clear_line(caught.value, "truncated")
    assert read, "records before the cut were read; the importer decides what to keep"


def test_a_file_cut_inside_a_character_is_called_truncated(wxr_bytes):
    first_multibyte = next(i for i, byte in enumerate(wxr_bytes) if byte >= 0xC0)
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(wxr_bytes[: first_multibyte + 1])))
    assert_one_clear_line(caught.value, "truncated")


def test_invalid_utf8_names_the_byte(wxr_bytes):
    position = wxr_bytes.index(b"Theme Unit Test Data")
    broken = wxr_bytes[:position] + b"\xff\xfe" + wxr_bytes[position + 2 :]
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(broken)))
    assert_one_clear_line(caught.value, "invalid UTF-8", f"byte {position}")


def test_invalid_utf8_past_the_first_chunk_names_the_byte(wxr_bytes):
    position = len(wxr_bytes) - 5000  # well past iterparse's first 16 kB read
    broken = wxr_bytes[:position] + b"\xc3(" + wxr_bytes[position + 2 :]
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(broken)))
    assert_one_clear_line(caught.value, f"invalid UTF-8 at byte {position}")


def test_a_file_in_another_declared_encoding_is_read_in_it():
    document = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f"{WXR_OPEN}<title>Caf\u00e9 cr\u00e8me</title>{WXR_CLOSE}"
    ).encode("iso-8859-1")
    (site,) = read_wordpress(io.BytesIO(document))
    assert site.title == "Café crème"


def test_an_rss_feed_without_the_wp_namespace_is_not_a_wordpress_export():
    document = b'<rss version="2.0"><channel><title>A feed</title></channel></rss>'
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(document)))
    assert_one_clear_line(caught.value, "not a WordPress export", "no wp: namespace")


def test_an_rss_document_without_a_channel_is_refused():
    document = b'<rss version="2.0" xmlns:wp="https://wordpress.org/export/1.2/"></rss>'
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(document)))
    assert_one_clear_line(caught.value, "no <channel>")


def test_a_prefix_used_without_its_declaration_is_named():
    document = f"{WXR_OPEN}<item><excerpt:encoded>x</excerpt:encoded></item>{WXR_CLOSE}".encode()
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(document)))
    assert_one_clear_line(caught.value, "unbound prefix", "never declared")


def test_a_missing_file_is_an_import_error(tmp_path):
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(tmp_path / "missing.xml"))
    assert_one_clear_line(caught.value, "cannot open", "missing.xml")


def test_elements_nested_deeper_than_any_export_are_refused():
    nested = "<a>" * 40 + "</a>" * 40
    document = f"{WXR_OPEN}<item>{nested}</item>{WXR_CLOSE}".encode()
    with pytest.raises(ImportFileError) as caught:
        list(read_wordpress(io.BytesIO(document)))
    assert_one_clear_line(caught.value, "nested more than 32 deep")


@pytest.mark.parametrize("reader_name", READERS)
def test_a_record_swollen_with_empty_elements_is_refused(reader_name, monkeypatch):
    # Each element costs ~100 bytes of memory for 4 bytes of file: a cap per record keeps
    # a file of millions of siblings from swelling the process (scaled down here).
    monkeypatch.setattr(xml_events, "MAX_ELEMENTS_PER_RECORD", 200)
    read, _, opening, closing = READERS[reader_name]
    record = "item" if reader_name == "wordpress" else "post"
    document = f"{opening}<{record}>{'<a/>' * 300}</{record}>{closing}".encode()
    with pytest.raises(ImportFileError) as caught:
        list(read(io.BytesIO(document)))
    assert_one_clear_line(caught.value, "more than 200 elements in one record")


def test_many_comments_on_one_post_stay_within_the_cap(monkeypatch):
    # Comments are folded into records as they end, so a long thread is not a swollen
    # record: 100 comments of 5 elements each pass a cap of 200 live elements.
    monkeypatch.setattr(xml_events, "MAX_ELEMENTS_PER_RECORD", 200)
    comment = (
        "<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>A</wp:comment_author>"
        "<wp:comment_content>Hi</wp:comment_content><wp:comment_approved>1"
        "</wp:comment_approved></wp:comment>"
    )
    comments = "".join(comment.format(n=n) for n in range(1, 101))
    document = f"{WXR_OPEN}<item><wp:post_id>1</wp:post_id>{comments}</item>{WXR_CLOSE}"
    _, post = read_wordpress(io.BytesIO(document.encode()))
    assert [c.comment_id for c in post.comments] == list(range(1, 101))
