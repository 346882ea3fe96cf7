"""The CDN headers of a public read, and the settings behind them and the purgers."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest

from api.cdn.headers import cdn_headers
from config import ConfigError, load_settings


def test_defaults_give_caches_an_hour_and_a_minute_of_grace_and_no_cache_tag():
    settings = load_settings(environ={})
    assert (settings.cdn_s_maxage, settings.cdn_stale_while_revalidate) == (3600, 60)
    assert settings.cdn_cache_tag_header is False
    assert settings.varnish_url == ()
    assert cdn_headers(["post:7", "posts"], settings) == [
        ("Surrogate-Key", "post:7 posts"),
        ("Surrogate-Control", "max-age=3600, stale-while-revalidate=60"),
        ("CDN-Cache-Control", "max-age=3600, stale-while-revalidate=60"),
    ]


def test_settings_change_the_lifetime_and_add_cache_tag():
    settings = load_settings(
        environ={
            "MARGINALIA_CDN_S_MAXAGE": "86400",
            "MARGINALIA_CDN_STALE_WHILE_REVALIDATE": "0",
            "MARGINALIA_CDN_CACHE_TAG_HEADER": "true",
        }
    )
    assert dict(cdn_headers(["post:7", "comments:7", "post:7"], settings)) == {
        "Surrogate-Key": "post:7 comments:7",
        "Surrogate-Control": "max-age=86400",
        "CDN-Cache-Control": "max-age=86400",
        "Cache-Tag": "post:7,comments:7",
    }


def test_a_read_without_keys_gets_no_cdn_lifetime():
    assert cdn_headers([], load_settings(environ={})) == []


def test_varnish_keeps_and_purges_what_these_headers_describe(varnish, origin):
    """The headers, as the app would send them, through the shipped VCL."""
    unique = uuid.uuid4().hex[:10]
    headers = dict(cdn_headers([f"post:{unique}", f"posts:{unique}"], load_settings(environ={})))
    query = {
        "cc": "public, max-age=60",
        "keys": headers["Surrogate-Key"],
        "sc": headers["Surrogate-Control"],
        "cdn": headers["CDN-Cache-Control"],
    }
    url = f"/{unique}/post?{urlencode(query)}"
    varnish.get(url)
    hit = varnish.get(url)
    assert hit.cache == "HIT"
    assert hit.headers["Cache-Control"] == "public, max-age=60"  # browsers keep their minute
    assert "Surrogate-Control" not in hit.headers
    assert varnish.purge(f"posts:{unique}").json == {"purged": 1}
    assert varnish.get(url).cache == "MISS"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MARGINALIA_VARNISH_URL": "127.0.0.1:6081"}, "VARNISH_URL entries must be http(s) URLs"),
        (
            {"MARGINALIA_VARNISH_URL": "http://admin:pw@127.0.0.1:6081"},
            "VARNISH_URL entries must be http(s) URLs",
        ),
        ({"MARGINALIA_FASTLY_SERVICE_ID": "svc"}, "set both or neither"),
        ({"MARGINALIA_CLOUDFLARE_API_TOKEN": "t"}, "set both or neither"),
        (
            {"MARGINALIA_CLOUDFLARE_ZONE_ID": "z", "MARGINALIA_CLOUDFLARE_API_TOKEN": "t"},
            "set MARGINALIA_CDN_CACHE_TAG_HEADER=true",
        ),
        ({"MARGINALIA_FASTLY_API_URL": "http://127.0.0.1:9"}, "must be https://"),
        ({"MARGINALIA_CLOUDFLARE_API_URL": "ftp://cf.example"}, "must be an http(s) URL"),
        ({"MARGINALIA_CDN_S_MAXAGE": "-1"}, "MARGINALIA_CDN_S_MAXAGE must be an integer >= 0"),
        ({"MARGINALIA_CDN_CACHE_TAG_HEADER": "sometimes"}, "must be true or false"),
    ],
)
def test_bad_cdn_settings_fail_at_start_naming_the_variable(environ, message):
    with pytest.raises(ConfigError) as error:
        load_settings(environ=environ)
    assert message in str(error.value)


def test_plain_http_purge_apis_are_for_local_development_only():
    settings = load_settings(
        environ={
            "MARGINALIA_FASTLY_API_URL": "http://127.0.0.1:9",
            "MARGINALIA_ALLOW_PRIVATE_TARGETS": "true",
        }
    )
    assert settings.fastly_api_url == "http://127.0.0.1:9"
