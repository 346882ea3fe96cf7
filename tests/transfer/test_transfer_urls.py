"""Matching an export's URLs to our posts: the same page gets the same key, another page
another key."""

from __future__ import annotations

import io

import click
import pytest

from api.transfer.source import bar_progress
from api.transfer.urls import page_key
from api.transfer.wordpress import read_wordpress


@pytest.mark.parametrize(
    "url",
    [
        "https://old.example/2019/05/hello-world/",
        "http://old.example/2019/05/hello-world",
        "https://www.old.example/2019/05/hello-world/#comment-12",
        "https://OLD.example:443/2019/05/hello-world/?utm_source=feed&fbclid=x",
    ],
)
def test_the_same_page_gets_the_same_key(url):
    assert page_key(url) == "old.example/2019/05/hello-world"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://old.example/a/", "https://old.example/b/"),
        ("https://old.example/a/", "https://other.example/a/"),
        ("https://old.example/?p=12", "https://old.example/?p=13"),
        ("https://old.example:8080/a/", "https://old.example/a/"),
        ("https://old.example/Hello/", "https://old.example/hello/"),
    ],
)
def test_other_pages_get_other_keys(first, second):
    assert page_key(first) != page_key(second)


def test_wordpress_id_permalinks_keep_their_id():
    assert page_key("http://old.example/?p=1241&utm_medium=x") == "old.example?p=1241"


@pytest.mark.parametrize(
    "url", ["", "not a url", "ftp://old.example/a", "https:///path", "http://[::1"]
)
def test_what_is_not_a_web_url_has_no_key(url):
    assert page_key(url) is None


def test_a_click_progress_bar_follows_the_bytes_read(wxr_bytes):
    shown = io.StringIO()
    with click.progressbar(length=len(wxr_bytes), file=shown) as bar:
        for _ in read_wordpress(io.BytesIO(wxr_bytes), progress=bar_progress(bar)):
            pass
        assert bar.pos == len(wxr_bytes)
