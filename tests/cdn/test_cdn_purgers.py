"""The purgers: Varnish against the real varnishd and the shipped VCL, Fastly and Cloudflare
against local receivers that check each request's shape as those APIs document it."""

from __future__ import annotations

import json
import uuid

import pytest

from api.cdn.purgers import (
    CloudflarePurger,
    CombinedPurger,
    FastlyPurger,
    VarnishPurger,
    purger_from_settings,
    valid_keys,
)
from config import load_settings
from tests.cdn.conftest import free_port


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def closing():
    """Register a purger to be closed after the test (its keep-alive connections)."""
    made = []

    def keep(purger):
        made.append(purger)
        return purger

    yield keep
    for purger in made:
        purger.close()


def test_varnish_purger_drops_the_tagged_objects_from_a_real_varnish(varnish, unique, closing):
    a, b = f"post:{unique}", f"post:{unique}-other"
    urls = {
        "a": f"/{unique}/a?keys={a}",
        "a and shared": f"/{unique}/shared?keys={a}+posts:{unique}",
        "b": f"/{unique}/b?keys={b}",
    }
    for url in urls.values():
        varnish.get(url)

    result = closing(VarnishPurger([varnish.url])).purge([a])

    assert result.ok and not result.retryable
    assert result.purged == 2
    assert [(o.target, o.status, o.purged) for o in result.outcomes] == [(varnish.url, 200, 2)]
    assert {name: varnish.get(url).cache for name, url in urls.items()} == {
        "a": "MISS",
        "a and shared": "MISS",
        "b": "HIT",
    }


def test_varnish_purger_purges_every_node_and_reports_the_one_that_failed(
    varnish, receiver, unique, closing
):
    receiver.reply = lambda _: (200, {"xkey-purged": "7"}, b"")
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    key = f"post:{unique}"
    varnish.get(f"/{unique}/a?keys={key}")

    result = closing(VarnishPurger([varnish.url, receiver.url, down])).purge([key, "posts"])

    assert [(o.target, o.ok, o.purged) for o in result.outcomes] == [
        (varnish.url, True, 1),
        (receiver.url, True, 7),
        (down, False, None),
    ]
    assert not result.ok and result.retryable  # a node that is down may come back
    assert result.failures[0].detail == "connect"
    assert result.purged == 8
    [sent] = receiver.received
    assert (sent.method, sent.path, sent.headers["xkey-purge"]) == ("PURGE", "/", f"{key} posts")


def test_a_node_that_is_not_our_vcl_is_a_failure(receiver, closing):
    receiver.reply = lambda _: (200, {"Content-Type": "text/html"}, b"<html>hello</html>")
    result = closing(VarnishPurger([receiver.url])).purge(["post:1"])
    assert not result.ok and not result.retryable
    assert result.failures[0].detail == "no xkey-purged in the answer"


def test_many_keys_are_sent_in_headers_varnish_accepts(receiver, closing):
    receiver.reply = lambda r: (200, {"xkey-purged": "0"}, b"")
    keys = [f"comments:{n:06d}-{'x' * 30}" for n in range(400)]  # ~19 KB of keys
    result = closing(VarnishPurger([receiver.url])).purge(keys)
    assert result.ok
    sent = [r.headers["xkey-purge"] for r in receiver.received]
    assert len(sent) > 1 and all(len(value) <= VarnishPurger.HEADER_BYTES for value in sent)
    assert [key for value in sent for key in value.split(" ")] == keys


# --- Fastly ------------------------------------------------------------------------------


def fastly_answer(received):
    keys = received.headers["surrogate-key"].split(" ")
    body = json.dumps({key: f"purge-id-{n}" for n, key in enumerate(keys)}).encode()
    return 200, {"Content-Type": "application/json"}, body


def test_fastly_purger_posts_the_documented_batch_purge(receiver, closing):
    receiver.reply = fastly_answer
    purger = closing(
        FastlyPurger("SU1Z0isxPaozGVKXdv0eY", "fastly-secret", receiver.url, allow_private=True)
    )
    result = purger.purge(["post:12", "posts", "post:12"])  # the repeat is sent once

    assert result.ok and result.keys == ("post:12", "posts")
    [sent] = receiver.received
    assert (sent.method, sent.path) == ("POST", "/service/SU1Z0isxPaozGVKXdv0eY/purge")
    assert sent.headers["fastly-key"] == "fastly-secret"
    assert sent.headers["surrogate-key"] == "post:12 posts"
    assert sent.headers["accept"] == "application/json"
    assert "authorization" not in sent.headers


def test_fastly_purger_sends_at_most_256_keys_a_call(receiver, closing):
    receiver.reply = fastly_answer
    keys = [f"k{n}" for n in range(300)]
    assert closing(FastlyPurger("svc", "t", receiver.url, allow_private=True)).purge(keys).ok
    batches = [r.headers["surrogate-key"].split(" ") for r in receiver.received]
    assert [len(b) for b in batches] == [256, 44]
    assert [key for batch in batches for key in batch] == keys


@pytest.mark.parametrize(
    ("status", "retryable"), [(401, False), (403, False), (404, False), (429, True), (503, True)]
)
def test_fastly_errors_say_whether_a_retry_can_help(receiver, status, retryable, closing):
    receiver.reply = lambda _: (status, {"Content-Type": "application/json"}, b'{"msg": "no"}')
    result = closing(FastlyPurger("svc", "t", receiver.url, allow_private=True)).purge(["posts"])
    assert not result.ok
    assert (result.failures[0].status, result.retryable) == (status, retryable)


# --- Cloudflare --------------------------------------------------------------------------

CLOUDFLARE_OK = json.dumps(
    {
        "success": True,
        "errors": [],
        "messages": [],
        "result": {"id": "9a7806061c88ada191ed06f989cc3dac"},
    }
).encode()


def test_cloudflare_purger_posts_the_tags_with_a_bearer_token(receiver, closing):
    receiver.reply = lambda _: (200, {"Content-Type": "application/json"}, CLOUDFLARE_OK)
    purger = closing(
        CloudflarePurger(
            "023e105f4ecef8ad9ca31a8372d0c353", "cf-secret", f"{receiver.url}/client/v4", True
        )
    )
    result = purger.purge(["post:12", "posts"])

    assert result.ok
    [sent] = receiver.received
    assert (sent.method, sent.path) == (
        "POST",
        "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache",
    )
    assert sent.headers["authorization"] == "Bearer cf-secret"
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.body) == {"tags": ["post:12", "posts"]}


def test_cloudflare_purger_sends_at_most_100_tags_a_call(receiver, closing):
    receiver.reply = lambda _: (200, {"Content-Type": "application/json"}, CLOUDFLARE_OK)
    keys = [f"k{n}" for n in range(250)]
    assert closing(CloudflarePurger("zone", "t", receiver.url, allow_private=True)).purge(keys).ok
    batches = [json.loads(r.body)["tags"] for r in receiver.received]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [key for batch in batches for key in batch] == keys


def test_cloudflare_success_false_in_a_200_is_a_failure(receiver, closing):
    refused = {"success": False, "errors": [{"code": 1134, "message": "Zone not found"}]}
    receiver.reply = lambda _: (200, {}, json.dumps(refused).encode())
    result = closing(CloudflarePurger("zone", "t", receiver.url, allow_private=True)).purge(
        ["posts"]
    )
    assert not result.ok and result.failures[0].detail == "success is not true"


# --- through the guard, without secrets ------------------------------------------------


def test_api_purgers_do_not_reach_private_addresses_unless_allowed(receiver, closing):
    for purger in (
        closing(FastlyPurger("svc", "t", receiver.url)),
        closing(CloudflarePurger("zone", "t", receiver.url)),
    ):
        result = purger.purge(["posts"])
        assert not result.ok and not result.retryable
        assert result.failures[0].detail == "blocked_address"
    assert receiver.received == []


def test_purges_follow_no_redirect(receiver, closing):
    receiver.reply = lambda _: (307, {"Location": "http://127.0.0.1:1/elsewhere"}, b"")
    result = closing(FastlyPurger("svc", "t", receiver.url, allow_private=True)).purge(["posts"])
    assert not result.ok and result.failures[0].status == 307
    assert len(receiver.received) == 1


def test_tokens_appear_in_no_repr_and_no_result(receiver, closing):
    receiver.reply = lambda _: (500, {}, b"fastly-secret cf-secret")
    fastly = closing(FastlyPurger("svc", "fastly-secret", receiver.url, allow_private=True))
    cloudflare = closing(CloudflarePurger("zone", "cf-secret", receiver.url, allow_private=True))
    combined = CombinedPurger([fastly, cloudflare])
    shown = repr(combined) + repr(combined.purge(["posts"])) + combined.purge(["a"]).describe()
    assert "secret" not in shown
    assert "fastly service svc" in shown and "cloudflare zone zone" in shown


@pytest.mark.parametrize(
    "key", ["", "two words", "a,b", "line\r\nInjected: 1", "caf\u00e9", "k" * 1025]
)
def test_keys_no_cache_could_carry_are_refused(key):
    with pytest.raises(ValueError, match="surrogate key"):
        valid_keys([key])


# --- from the settings -------------------------------------------------------------------


def test_the_settings_build_every_configured_purger_innermost_first(closing):
    settings = load_settings(
        environ={
            "MARGINALIA_VARNISH_URL": "http://127.0.0.1:6081, http://10.0.0.7:6081",
            "MARGINALIA_FASTLY_SERVICE_ID": "svc",
            "MARGINALIA_FASTLY_API_TOKEN": "t1",
            "MARGINALIA_CLOUDFLARE_ZONE_ID": "zone",
            "MARGINALIA_CLOUDFLARE_API_TOKEN": "t2",
            "MARGINALIA_CDN_CACHE_TAG_HEADER": "true",
        }
    )
    purger = closing(purger_from_settings(settings))
    varnish, fastly, cloudflare = purger.purgers
    assert isinstance(varnish, VarnishPurger)
    assert varnish.urls == ("http://127.0.0.1:6081", "http://10.0.0.7:6081")
    assert (fastly.service_id, fastly.api_url) == ("svc", "https://api.fastly.com")
    assert (cloudflare.zone_id, cloudflare.api_url) == (
        "zone",
        "https://api.cloudflare.com/client/v4",
    )
    assert not fastly.allow_private and not cloudflare.allow_private


def test_without_cdn_settings_purging_is_a_no_op(receiver):
    purger = purger_from_settings(load_settings(environ={}))
    assert not purger
    result = purger.purge(["posts"])
    assert result.ok and result.outcomes == ()


def test_the_varnish_purger_reaches_its_private_nodes_through_the_settings(
    varnish, unique, closing
):
    settings = load_settings(environ={"MARGINALIA_VARNISH_URL": varnish.url})
    assert settings.allow_private_targets is False  # Varnish nodes are allowed regardless
    key = f"post:{unique}"
    varnish.get(f"/{unique}?keys={key}")
    assert closing(purger_from_settings(settings)).purge([key]).purged == 1
