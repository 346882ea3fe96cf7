"""Endpoint discovery (W3C Webmention 3.1.2 order, Pingback 1.0) and our own URLs
(pure: no app)."""

import pytest

from api.linkbacks.discovery import Endpoint, discover
from api.linkbacks.urls import SitePattern, same_resource

PAGE = "https://their.example/posts/1?x=1"


def found(headers=(), body="", content_type="text/html; charset=utf-8", page=PAGE):
    return discover(page, list(headers), body, content_type)


def test_link_header_comes_first():
    body = '<link rel="webmention" href="/from-html">'
    headers = [("Link", '<https://their.example/from-header>; rel="webmention"')]
    assert found(headers, body) == Endpoint("webmention", "https://their.example/from-header")


@pytest.mark.parametrize(
    "value",
    [
        "</wm>; rel=webmention",
        '</wm>; rel="webmention"',
        '</wm>; rel="somethingelse webmention"',
        '</other>; rel="other", </wm>; rel="webmention"',
        '</wm>; title="a, b; c"; REL="WebMention"',
    ],
)
def test_link_header_forms(value):
    assert found([("link", value)]) == Endpoint("webmention", "https://their.example/wm")


def test_link_header_with_other_rel_does_not_count_and_html_is_read():
    headers = [("Link", '</not>; rel="webmention-not"'), ("Link", '</style>; rel="stylesheet"')]
    body = '<a rel="webmention" href="wm?q=1#frag">endpoint</a>'
    assert found(headers, body) == Endpoint("webmention", "https://their.example/posts/wm?q=1")


def test_first_of_link_and_a_in_document_order():
    body = (
        "<!-- <link rel=webmention href=/commented-out> -->"
        '<a rel="nofollow webmention" href="/first">x</a><link rel="webmention" href="/second">'
    )
    assert found(body=body).url == "https://their.example/first"


def test_elements_without_href_are_skipped_and_empty_href_is_the_page_itself():
    assert found(body='<link rel="webmention"><link rel="webmention" href="">').url == PAGE


def test_relative_endpoint_resolves_against_the_page_after_redirects():
    endpoint = found(body='<link rel="webmention" href="../wm">', page="https://b.example/x/y")
    assert endpoint.url == "https://b.example/wm"


def test_webmention_is_preferred_to_pingback():
    headers = [("X-Pingback", "https://their.example/xmlrpc.php")]
    body = '<link rel="pingback" href="/xmlrpc"><link rel="webmention" href="/wm">'
    assert found(headers, body) == Endpoint("webmention", "https://their.example/wm")


def test_pingback_header_then_link_element():
    assert found([("X-Pingback", "https://their.example/xmlrpc.php")]) == Endpoint(
        "pingback", "https://their.example/xmlrpc.php"
    )
    assert found(body='<LINK REL="pingback" HREF="/xmlrpc.php" />') == Endpoint(
        "pingback", "https://their.example/xmlrpc.php"
    )
    assert found(body='<a rel="pingback" href="/not-a-link-element">') is None


def test_nothing_advertised_or_not_html():
    assert found(body="<p>hello</p>") is None
    assert found(body='<link rel="webmention" href="/wm">', content_type="text/plain") is None
    assert found(body="<p <a <link rel=webmention") is None  # broken markup is no error


SITE = SitePattern("https://blog.example/{slug}/")


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://blog.example/hello/", "hello"),
        ("https://blog.example/hello", "hello"),
        ("http://BLOG.example/hello/?utm_source=x", "hello"),
        ("https://blog.example/caf%C3%A9/", "café"),
        ("https://blog.example/a/b/", None),
        ("https://blog.example/", None),
        ("https://other.example/hello/", None),
        ("ftp://blog.example/hello/", None),
        ("https://blog.example:8443/hello/", None),
    ],
)
def test_site_pattern_names_slugs(url, slug):
    assert SITE.slug_of(url) == slug


def test_site_patterns_with_a_prefix_or_a_query():
    assert (
        SitePattern("http://localhost:8000/posts/{slug}/").slug_of("http://localhost:8000/posts/x/")
        == "x"
    )
    by_query = SitePattern("https://blog.example/?p={slug}")
    assert by_query.slug_of("https://blog.example/?p=hello") == "hello"
    assert by_query.slug_of("https://blog.example/hello/") is None


def test_same_resource_ignores_fragment_case_and_trailing_slash():
    assert same_resource("https://Blog.example/x/#c", "HTTPS://blog.example/x")
    assert not same_resource("https://blog.example/x?a=1", "https://blog.example/x")


def test_linkback_settings_are_read_and_checked():
    from config import ConfigError, load_settings

    settings = load_settings(
        environ={
            "MARGINALIA_INTERNAL_PINGBACKS_APPROVED": "false",
            "MARGINALIA_LINKBACK_RATE_LIMIT": "5/second;100/hour",
        }
    )
    assert settings.internal_pingbacks_approved is False
    assert settings.linkback_rate_limit == "5/second;100/hour"
    assert load_settings(environ={}).internal_pingbacks_approved is True
    with pytest.raises(ConfigError, match="LINKBACK_RATE_LIMIT"):
        load_settings(environ={"MARGINALIA_LINKBACK_RATE_LIMIT": "lots"})
