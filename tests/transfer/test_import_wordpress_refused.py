"""A broken or hostile WordPress export ends `marginalia import wordpress` with one line
on stderr and a non-zero exit code, and leaves the database as it was: the whole file is
checked before the first batch is written."""

from __future__ import annotations

import pytest

from tests.transfer.helpers import import_file, row_counts, run_cli
from tests.transfer.test_transfer_hostile_xml import BILLION_LAUGHS, EXTERNAL_ENTITY, WXR_CLOSE

WXR_OPEN = (
    '<rss version="2.0" xmlns:wp="https://wordpress.org/export/1.2/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
)


def _hostile(template: str) -> bytes:
    return template.format(root="rss", open=WXR_OPEN, close=WXR_CLOSE).encode()


def _truncated(fixture: bytes) -> bytes:
    # Well past the authors and terms and many posts: a reader that wrote as it went
    # would have written a lot by the time it meets the end.
    return fixture[: len(fixture) * 9 // 10]


def _invalid_utf8(fixture: bytes) -> bytes:
    at = fixture.index(b"<item>", len(fixture) * 8 // 10)
    return fixture[:at] + b"<!-- \xff\xfe -->" + fixture[at:]


def _unknown_namespace(fixture: bytes) -> bytes:
    return fixture.replace(b"wordpress.org/export/1.2/", b"wordpress.org/export/1.9/")


CASES = {
    "xml bomb": (lambda fixture: _hostile(BILLION_LAUGHS), "DOCTYPE"),
    "external entity": (lambda fixture: _hostile(EXTERNAL_ENTITY), "DOCTYPE"),
    "truncated": (_truncated, "truncated"),
    "invalid utf-8": (_invalid_utf8, "UTF-8"),
    "unknown namespace": (_unknown_namespace, "namespace"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_file_is_refused_in_one_line_and_writes_nothing(
    app, tmp_path, wxr_bytes, publish, case
):
    publish("Already here")  # the database is not empty: it must stay as it is
    make, words = CASES[case]
    path = tmp_path / "export.xml"
    path.write_bytes(make(wxr_bytes))
    before = row_counts(app)

    result = run_cli(app, "import", "wordpress", str(path))

    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("marginalia")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("marginalia import wordpress: export.xml: ")
    assert words.lower() in lines[0].lower()
    assert row_counts(app) == before


def test_a_missing_file_is_one_line_too(app, tmp_path):
    result = run_cli(app, "import", "wordpress", str(tmp_path / "nowhere.xml"))
    assert result.exit_code == 1
    assert "cannot open" in result.stderr


def test_a_later_good_run_still_imports(app, tmp_path, wxr_path, wxr_bytes):
    path = tmp_path / "export.xml"
    path.write_bytes(_truncated(wxr_bytes))
    assert run_cli(app, "import", "wordpress", str(path)).exit_code == 1
    report = import_file(app, "wordpress", wxr_path)
    assert report["kinds"]["post"]["created"] == 58
