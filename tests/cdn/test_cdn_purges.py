"""Purges driven by the outbox: each keyed event purged at least once, retried, logged."""

from __future__ import annotations

import itertools
import json

import pytest

from api.cdn import purging
from api.cdn.purgers import CombinedPurger, VarnishPurger
from api.events.dispatch import dispatch_pending
from tests.comments.helpers import new_ip
from tests.conftest import bearer

_readers = itertools.count(1)


@pytest.fixture
def varnish_node(app, receiver, monkeypatch):
    """The app purges one stand-in Varnish node (MARGINALIA_VARNISH_URL=<receiver>)."""
    receiver.reply = lambda _: (200, {"xkey-purged": "3"}, b'{"purged": 3}')
    purger = CombinedPurger([VarnishPurger([receiver.url])])
    monkeypatch.setitem(app.extensions, "marginalia.cdn_purger", purger)
    yield receiver
    purger.close()


@pytest.fixture
def worker(in_app):
    """What the worker does after a commit: the consumers, then the due purges."""

    def run() -> purging.DrainReport:
        in_app(dispatch_pending)
        return in_app(purging.drain)

    return run


def comment_on(client, slug: str) -> dict:
    n = next(_readers)
    response = client.post(
        f"/v1/posts/{slug}/comments",
        json={"author_name": f"R{n}", "author_email": f"r{n}@example.org", "body": "Hello"},
        environ_base={"REMOTE_ADDR": new_ip()},
        headers={"User-Agent": "TestBrowser/1.0"},
    )
    assert response.status_code == 202
    return response.get_json()


def test_an_approval_purges_the_thread_and_the_post_and_is_logged(
    client, admin, make_token, publish, varnish_node, worker
):
    post = publish("Discussed")
    worker()
    varnish_node.received.clear()
    receipt = comment_on(client, post["slug"])
    assert worker().attempts == 0  # a pending comment: nobody sees it, nothing to purge
    assert varnish_node.received == []

    moderator = bearer(make_token("moderator", name="Mo"))
    client.patch(
        f"/v1/moderation/comments/{receipt['id']}", json={"status": "approved"}, headers=moderator
    )
    assert worker().attempts == 1
    [sent] = varnish_node.received
    assert (sent.method, sent.headers["xkey-purge"]) == (
        "PURGE",
        f"comments:{post['id']} post:{post['id']}",
    )

    log = client.get("/v1/cdn/purges", headers=admin).get_json()["items"]
    assert [(item["event_type"], item["status"], item["attempt_count"]) for item in log] == [
        ("comment.approved", "done", 1),
        ("post.published", "done", 1),
        ("author.created", "done", 1),  # the `author` fixture's
    ]
    assert log[0]["keys"] == [f"comments:{post['id']}", f"post:{post['id']}"]
    assert "3 objects dropped" in log[0]["last_result"]
    assert client.get("/v1/cdn/purges").status_code == 401
    assert client.get("/v1/cdn/purges", headers=moderator).status_code == 403


def test_failures_are_retried_then_given_up(
    client, admin, publish, varnish_node, worker, monkeypatch
):
    monkeypatch.setattr(purging, "RETRY_SCHEDULE", (0, 0))
    worker()  # the author fixture's creation
    varnish_node.received.clear()
    varnish_node.reply = lambda _: (503, {}, b"busy")
    publish("Unlucky")
    first = worker()
    assert first.attempts == 1 and first.wake_at is not None
    purge = client.get("/v1/cdn/purges", headers=admin).get_json()["items"][0]
    assert (purge["status"], purge["attempt_count"]) == ("pending", 1)
    assert "HTTP 503" in purge["last_result"]

    varnish_node.reply = lambda _: (200, {"xkey-purged": "1"}, b"{}")
    assert worker().attempts == 1
    purge = client.get("/v1/cdn/purges", headers=admin).get_json()["items"][0]
    assert (purge["status"], purge["attempt_count"]) == ("done", 2)

    varnish_node.reply = lambda _: (503, {}, b"busy")
    publish("Unluckier")
    for _ in range(3):
        worker()
    failed = client.get("/v1/cdn/purges?status=failed", headers=admin).get_json()["items"]
    assert [(p["attempt_count"], p["next_attempt_at"]) for p in failed] == [(3, None)]
    assert len(varnish_node.received) == 5  # 1 + 1 for the first, 3 for the second


def test_without_a_purger_nothing_is_queued(client, admin, publish, worker):
    publish("Nobody in front")
    assert worker().attempts == 0
    assert client.get("/v1/cdn/purges", headers=admin).get_json()["items"] == []


def test_fastly_and_cloudflare_settings_get_the_same_keys(
    app, client, publish, receiver, worker, test_settings, monkeypatch
):
    from dataclasses import replace

    from api.cdn.purgers import purger_from_settings

    receiver.reply = lambda _: (200, {"Content-Type": "application/json"}, b'{"success": true}')
    settings = replace(
        test_settings,
        fastly_service_id="svc1",
        fastly_api_token="fastly-secret",
        fastly_api_url=receiver.url,
        cloudflare_zone_id="zone1",
        cloudflare_api_token="cf-secret",
        cloudflare_api_url=receiver.url,
        cdn_cache_tag_header=True,
        allow_private_targets=True,  # the stand-in APIs listen on 127.0.0.1
    )
    purger = purger_from_settings(settings)
    monkeypatch.setitem(app.extensions, "marginalia.cdn_purger", purger)
    post = publish("Everywhere")
    worker()
    purger.close()
    fastly, cloudflare = receiver.received
    assert (fastly.method, fastly.path) == ("POST", "/service/svc1/purge")
    assert fastly.headers["fastly-key"] == "fastly-secret"
    keys = fastly.headers["surrogate-key"].split()
    assert {f"post:{post['id']}", "posts", f"comments:{post['id']}"} <= set(keys)
    assert (cloudflare.method, cloudflare.path) == ("POST", "/zones/zone1/purge_cache")
    assert cloudflare.headers["authorization"] == "Bearer cf-secret"
    assert json.loads(cloudflare.body) == {"tags": keys}
