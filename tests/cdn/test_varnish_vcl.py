"""deploy/varnish/default.vcl on a real varnishd: what it caches, for how long, what it
never caches, what clients see, and purges by surrogate key (xkey)."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

import pytest

from tests.cdn.conftest import request


@pytest.fixture
def unique() -> str:
    """A prefix for this test's URLs and keys: the varnishd is shared by the session."""
    return uuid.uuid4().hex[:10]


def path(name: str, **query: str) -> str:
    return f"/{name}?{urlencode(query)}" if query else f"/{name}"


def fresh_copy(varnish, url: str, fetch: int):
    """The first answer carrying the origin's `fetch`-th copy: the background fetch a
    stale hit started has been stored (bounded wait; it normally takes milliseconds)."""
    deadline = time.monotonic() + 10
    while True:
        answer = varnish.get(url)
        if answer.json["fetch"] == fetch or time.monotonic() > deadline:
            assert answer.json["fetch"] == fetch, "the background fetch never replaced the copy"
            return answer
        time.sleep(0.02)


def test_a_second_read_is_a_hit_from_the_cache(varnish, origin, unique):
    url = path(f"{unique}/post", keys=f"{unique}:post")
    first, second = varnish.get(url), varnish.get(url)

    assert (first.status, first.cache) == (200, "MISS")
    assert (second.status, second.cache) == (200, "HIT")
    assert second.json == first.json == {"path": url, "fetch": 1, "authorized": False}
    assert origin.fetches[url] == 1
    assert "Age" in second.headers


def test_head_is_served_from_the_object_a_get_stored(varnish, origin, unique):
    url = path(f"{unique}/post")
    varnish.get(url)
    head = request(varnish.port, "HEAD", url)
    assert (head.status, head.cache, head.body) == (200, "HIT", b"")
    assert origin.fetches[url] == 1


def test_clients_never_see_the_surrogate_keys_or_surrogate_lifetime(varnish, unique):
    url = path(f"{unique}/post", keys=f"{unique}:a {unique}:b", sc="max-age=300")
    for answer in (varnish.get(url), varnish.get(url)):  # a miss, then a hit
        names = {name.lower() for name in answer.headers}
        assert not names & {"surrogate-key", "surrogate-control", "xkey"}, answer.headers
        assert answer.headers["Cache-Control"] == "public, max-age=60"  # the browser's


def test_requests_with_authorization_are_never_cached(varnish, origin, unique):
    url = path(f"{unique}/draft")  # the origin even (wrongly) says "public"
    staff = {"Authorization": "Bearer staff-token"}

    first, second = varnish.get(url, staff), varnish.get(url, staff)
    assert [first.cache, second.cache] == ["PASS", "PASS"]
    assert [first.json["fetch"], second.json["fetch"]] == [1, 2]
    assert second.json["authorized"] is True

    anonymous = varnish.get(url)  # nothing a staff request fetched was stored
    assert (anonymous.cache, anonymous.json["authorized"]) == ("MISS", False)
    assert varnish.get(url).cache == "HIT"
    again = varnish.get(url, staff)  # and a cached anonymous copy is not given to staff
    assert (again.cache, again.json["authorized"]) == ("PASS", True)
    assert origin.fetches[url] == 4


def test_writes_go_to_the_origin_every_time(varnish, origin, unique):
    url = path(f"{unique}/comments")
    answers = [request(varnish.port, "POST", url, body=b"{}") for _ in range(2)]
    assert [a.json["fetch"] for a in answers] == [1, 2]
    assert origin.fetches[url] == 2


def test_a_browser_cookie_does_not_bypass_the_cache(varnish, origin, unique):
    url = path(f"{unique}/post")
    varnish.get(url)
    with_cookie = varnish.get(url, {"Cookie": "theme=dark"})
    assert with_cookie.cache == "HIT"
    assert origin.fetches[url] == 1


@pytest.mark.parametrize(
    ("origin_says", "cached"),
    [
        # The targeted fields win over Cache-Control (RFC 9213), both ways.
        ({"cc": "no-cache", "sc": "max-age=60"}, True),
        ({"cc": "private", "cdn": "max-age=60"}, True),
        ({"cc": "public, max-age=60", "cdn": "no-store"}, False),
        ({"cc": "public, max-age=60", "sc": "private, max-age=60"}, False),
        # Surrogate-Control before CDN-Cache-Control.
        ({"sc": "max-age=60", "cdn": "no-store"}, True),
        ({"sc": "no-store", "cdn": "max-age=60"}, False),
        # Cache-Control alone: s-maxage counts for this shared cache.
        ({"cc": "public, max-age=0, s-maxage=60"}, True),
        ({"cc": "public, max-age=60"}, True),
        # Nothing stated: not kept (no default TTL).
        ({"cc": "none"}, False),
        ({"cc": "public"}, False),
        ({"cc": "none", "cdn": "stale-while-revalidate=60"}, False),
        # Errors are never kept, whatever lifetime a targeted field gives them.
        ({"status": "500", "cdn": "max-age=60"}, False),
        ({"status": "503", "sc": "max-age=60"}, False),
    ],
)
def test_what_is_kept_follows_the_targeted_fields_then_cache_control(
    varnish, origin, unique, origin_says, cached
):
    url = path(f"{unique}/read", **origin_says)
    first, second = varnish.get(url), varnish.get(url)
    if cached:
        assert (first.cache, second.cache, second.json["fetch"]) == ("MISS", "HIT", 1)
    else:  # PASS: the origin's answer was not stored
        assert (first.cache, second.cache, second.json["fetch"]) == ("PASS", "PASS", 2)
    assert origin.fetches[url] == (1 if cached else 2)


def test_stale_while_revalidate_serves_the_old_copy_while_refetching(varnish, origin, unique):
    graced = path(f"{unique}/graced", cdn="max-age=1, stale-while-revalidate=30")
    ungraced = path(f"{unique}/ungraced", cdn="max-age=1")
    assert varnish.get(graced).json["fetch"] == 1
    assert varnish.get(ungraced).json["fetch"] == 1
    time.sleep(1.5)  # both are past their 1 s lifetime; only one has a grace period

    stale = varnish.get(graced)
    assert (stale.cache, stale.json["fetch"]) == ("HIT-STALE", 1)
    refreshed = fresh_copy(varnish, graced, fetch=2)
    assert refreshed.cache == "HIT"

    fresh = varnish.get(ungraced)  # no grace: the reader waits for the origin
    assert (fresh.cache, fresh.json["fetch"]) == ("MISS", 2)


def test_a_purge_drops_exactly_the_objects_tagged_with_its_key(varnish, origin, unique):
    a, b = f"post:{unique}a", f"post:{unique}b"
    tagged_a = [path(f"{unique}/a1", keys=f"{a} posts:{unique}"), path(f"{unique}/a2", keys=a)]
    tagged_b = path(f"{unique}/b", keys=f"{b} posts:{unique}")
    for url in [*tagged_a, tagged_b]:
        varnish.get(url)
        assert varnish.get(url).cache == "HIT"

    purged = varnish.purge(a)
    assert purged.status == 200
    assert purged.headers["xkey-purged"] == "2"
    assert purged.json == {"purged": 2}

    assert [varnish.get(url).cache for url in tagged_a] == ["MISS", "MISS"]
    assert varnish.get(tagged_b).cache == "HIT"
    assert [origin.fetches[url] for url in [*tagged_a, tagged_b]] == [2, 2, 1]


def test_one_purge_can_name_several_keys(varnish, unique):
    urls = [path(f"{unique}/{n}", keys=f"k{n}:{unique}") for n in range(3)]
    for url in urls:
        varnish.get(url)
    answer = varnish.purge(f"k0:{unique} k2:{unique} unknown:{unique}")
    assert answer.json == {"purged": 2}
    assert [varnish.get(url).cache for url in urls] == ["MISS", "HIT", "MISS"]


def test_a_soft_purge_keeps_the_copy_for_grace_only(varnish, origin, unique):
    key = f"soft:{unique}"
    url = path(f"{unique}/soft", keys=key, cdn="max-age=300, stale-while-revalidate=30")
    varnish.get(url)
    assert varnish.purge(key, header="xkey-softpurge").json == {"purged": 1}
    stale = varnish.get(url)
    assert (stale.cache, stale.json["fetch"]) == ("HIT-STALE", 1)
    assert fresh_copy(varnish, url, fetch=2).cache == "HIT"


def test_purges_are_refused_from_addresses_outside_the_acl(varnish, unique):
    key = f"acl:{unique}"
    url = path(f"{unique}/kept", keys=key)
    varnish.get(url)
    # Still a loopback connection to 127.0.0.1, but from 127.0.0.2: not in `purgers`.
    refused = varnish.purge(key, source="127.0.0.2")
    assert refused.status == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json["status"] == 403
    assert varnish.get(url).cache == "HIT"


def test_a_purge_without_keys_is_a_bad_request(varnish):
    answer = request(varnish.port, "PURGE", "/")
    assert answer.status == 400
    assert answer.json["title"] == "A PURGE needs an xkey-purge or xkey-softpurge header"
