"""The real thing: varnishd with deploy/varnish/default.vcl in front of the app, purged by
the app's outbox consumer through MARGINALIA_VARNISH_URL's purger."""

from __future__ import annotations

import itertools
import threading

import pytest
from werkzeug.serving import make_server

from api.cdn import purging
from api.cdn.purgers import CombinedPurger, VarnishPurger
from api.events.dispatch import dispatch_pending
from tests.comments.helpers import new_ip
from tests.conftest import bearer

_readers = itertools.count(1)


@pytest.fixture
def served(app):
    """The app on a free port of 127.0.0.1, as `serve` would run it behind Varnish."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def front(app, served, varnish_in_front_of, monkeypatch):
    """A varnishd in front of the app, and the app's purger pointed at it."""
    node = varnish_in_front_of(served)
    purger = CombinedPurger([VarnishPurger([node.url])])
    monkeypatch.setitem(app.extensions, "marginalia.cdn_purger", purger)
    yield node
    purger.close()
    node.stop()


@pytest.fixture
def worker(in_app):
    def run() -> None:
        in_app(dispatch_pending)
        report = in_app(purging.drain)
        assert report.wake_at is None, "a purge failed and waits for a retry"

    return run


def states(front, paths: dict[str, str]) -> dict[str, str]:
    """X-Cache of each read through Varnish (HIT or MISS)."""
    answers = {name: front.get(path) for name, path in paths.items()}
    assert all(answer.status == 200 for answer in answers.values()), answers
    return {name: answer.cache for name, answer in answers.items()}


def test_varnish_hits_and_purges_exactly_what_changed(
    client, admin, make_token, publish, front, worker
):
    one, other = publish("One"), publish("Other")
    worker()  # the creations' purges, before anything is cached
    paths = {
        "post": f"/v1/posts/{one['slug']}",
        "thread": f"/v1/posts/{one['slug']}/comments",
        "other post": f"/v1/posts/{other['slug']}",
        "other thread": f"/v1/posts/{other['slug']}/comments",
        "list": "/v1/posts",
        "authors": "/v1/authors",
        "tags": "/v1/tags",
    }
    assert set(states(front, paths).values()) == {"MISS"}
    assert states(front, paths) == dict.fromkeys(paths, "HIT")  # a second read is a hit

    # A comment waiting for a moderator: no public change, nothing purged.
    n = next(_readers)
    receipt = client.post(
        f"/v1/posts/{one['slug']}/comments",
        json={"author_name": f"R{n}", "author_email": f"r{n}@example.org", "body": "Hi"},
        environ_base={"REMOTE_ADDR": new_ip()},
        headers={"User-Agent": "TestBrowser/1.0"},
    ).get_json()
    worker()
    assert states(front, paths) == dict.fromkeys(paths, "HIT")

    # Its approval: the post's thread and the post (its comment_count), and the list
    # that shows that count; the other post, its thread, authors and tags stay hits.
    moderator = bearer(make_token("moderator", name="Mo"))
    client.patch(
        f"/v1/moderation/comments/{receipt['id']}", json={"status": "approved"}, headers=moderator
    )
    worker()
    assert states(front, paths) == {
        "post": "MISS",
        "thread": "MISS",
        "other post": "HIT",
        "other thread": "HIT",
        "list": "MISS",
        "authors": "HIT",
        "tags": "HIT",
    }
    assert front.get(paths["post"]).json["comment_count"] == 1
    assert [c["id"] for c in front.get(paths["thread"]).json["items"]] == [receipt["id"]]

    # A post edit: the post and the collection pages; not the other post, nor threads.
    edited = client.patch(f"/v1/posts/{other['slug']}", json={"title": "Edited"}, headers=admin)
    assert edited.status_code == 200
    worker()
    assert states(front, paths) == {
        "post": "HIT",
        "thread": "HIT",
        "other post": "MISS",
        "other thread": "HIT",
        "list": "MISS",
        "authors": "HIT",
        "tags": "HIT",
    }
    assert front.get(paths["other post"]).json["title"] == "Edited"
    assert {item["title"] for item in front.get(paths["list"]).json["items"]} == {
        "One",
        "Edited",
    }
