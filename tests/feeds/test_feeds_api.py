"""The feeds over HTTP (issue 20): Atom read back with feedparser, JSON Feed 1.1's
required fields, approved comments only, ETag/304 and a new ETag after a post edit,
Link rel=alternate on the resources they follow."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs

import feedparser
import pytest

from api.infra.database import db
from api.infra.unit_of_work import unit_of_work
from tests.comments.helpers import new_ip


@pytest.fixture
def approve(app):
    from api.comments import status as comments
    from api.events import catalogue as events

    def set_approved(comment_id: int) -> None:
        with app.app_context():
            with unit_of_work():
                comment = comments.lock(comment_id)
                comments.move([comment], "approved", events.COMMENT_APPROVED, {})
            db.session.remove()

    return set_approved


def _comment(client, slug, body, email):
    answer = client.post(
        f"/v1/posts/{slug}/comments",
        json={"body": body, "author_name": "Reader", "author_email": email},
        environ_base={"REMOTE_ADDR": new_ip()},
    )
    assert answer.status_code == 202
    return answer.get_json()["id"]


def _check_json_feed(document: dict) -> None:
    # JSON Feed 1.1: version and title are required; each item needs an id and
    # content_html or content_text.
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item


def test_posts_feeds_atom_and_json(client, admin, publish):
    tagged = publish("Tagged post", tags=["Birds"])
    publish("Plain post")
    publish("A draft", status="draft")

    atom = client.get("/v1/feeds/posts.atom")
    assert atom.status_code == 200
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = [entry.title for entry in parsed.entries]
    assert titles == ["Plain post", "Tagged post"]  # newest first, no draft
    assert parsed.entries[1].link == f"https://blog.example/{tagged['slug']}/"
    assert parsed.feed.title == "Posts"

    as_json = client.get("/v1/feeds/posts.json")
    assert as_json.headers["Content-Type"].startswith("application/feed+json")
    document = json.loads(as_json.get_data())
    _check_json_feed(document)
    assert [item["title"] for item in document["items"]] == titles
    assert document["feed_url"].endswith("/v1/feeds/posts.json")

    by_tag = feedparser.parse(client.get("/v1/feeds/posts.atom?tag=birds").get_data())
    assert [e.title for e in by_tag.entries] == ["Tagged post"]
    assert client.get("/v1/feeds/posts.atom?tag=nope").status_code == 404
    author = tagged["author"]["slug"] if isinstance(tagged["author"], dict) else tagged["author"]
    by_author = json.loads(client.get(f"/v1/feeds/posts.json?author={author}").get_data())
    assert len(by_author["items"]) == 2


def test_a_post_edit_changes_the_etag_and_304_otherwise(client, admin, publish):
    post = publish("First title")
    first = client.get("/v1/feeds/posts.atom")
    etag = first.headers["ETag"]
    again = client.get("/v1/feeds/posts.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    edited = client.patch(f"/v1/posts/{post['slug']}", json={"title": "New title"}, headers=admin)
    assert edited.status_code == 200
    after = client.get("/v1/feeds/posts.atom", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert feedparser.parse(after.get_data()).entries[0].title == "New title"
    json_etag = client.get("/v1/feeds/posts.json").headers["ETag"]
    client.patch(f"/v1/posts/{post['slug']}", json={"body": "Changed."}, headers=admin)
    assert client.get("/v1/feeds/posts.json").headers["ETag"] != json_etag


def test_comments_feeds_carry_approved_comments_only(client, admin, publish, approve):
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    post = publish("Discussed")
    other = publish("Elsewhere")
    shown = _comment(client, post["slug"], "Approved words.", "a@example.org")
    approve(shown)
    _comment(client, post["slug"], "Pending words.", "b@example.org")
    approve(_comment(client, other["slug"], "Other post.", "c@example.org"))

    parsed = feedparser.parse(client.get(f"/v1/feeds/comments.atom?post={post['slug']}").data)
    assert not parsed.bozo
    assert [e.link for e in parsed.entries] == [
        f"https://blog.example/{post['slug']}/#comment-{shown}"
    ]
    assert "Approved words." in parsed.entries[0].content[0].value
    assert parsed.feed.title == "Comments on Discussed"
    document = json.loads(client.get("/v1/feeds/comments.json").get_data())
    _check_json_feed(document)
    assert len(document["items"]) == 2
    assert all("Pending" not in item["content_html"] for item in document["items"])
    assert client.get("/v1/feeds/comments.json?post=nope").status_code == 404


def test_resources_link_their_feeds(client, publish):
    post = publish("Linked", tags=["Cats"])
    listing = client.get("/v1/posts")
    assert 'rel="alternate"; type="application/atom+xml"' in listing.headers["Link"]
    assert "/v1/feeds/posts.json>" in listing.headers["Link"]
    thread = client.get(f"/v1/posts/{post['slug']}/comments").headers["Link"]
    assert f"/v1/feeds/comments.atom?post={post['slug']}>" in thread
    # Served again from the response cache, the header is still there.
    assert client.get(f"/v1/posts/{post['slug']}/comments").headers["Link"] == thread
    assert "/v1/feeds/posts.atom?tag=cats>" in client.get("/v1/tags/cats").headers["Link"]


def test_websub_hub_is_announced_when_configured(app, client, publish, monkeypatch):
    from dataclasses import replace

    settings = replace(app.config["MARGINALIA"], websub_hub_url="https://hub.example/")
    monkeypatch.setitem(app.config, "MARGINALIA", settings)
    publish("Hubbed")
    parsed = feedparser.parse(client.get("/v1/feeds/posts.atom").get_data())
    rels = {link.rel: link.href for link in parsed.feed.links}
    assert rels["hub"] == "https://hub.example/"
    assert rels["self"] == "https://api.blog.example/v1/feeds/posts.atom"


class _Hub(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(handler):
                length = int(handler.headers.get("Content-Length") or 0)
                form = parse_qs(handler.rfile.read(length).decode())
                self.pings.append({k: v[-1] for k, v in form.items()})
                handler.send_response(204)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

        super().__init__(("127.0.0.1", 0), Handler)
        self.pings: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hub"


def test_the_worker_pings_the_websub_hub_when_a_feed_changes(app, publish, monkeypatch):
    from dataclasses import replace

    from api.events.dispatch import dispatch_pending
    from api.feeds import websub
    from api.infra import queue

    hub = _Hub()
    threading.Thread(target=hub.serve_forever, args=(0.02,), daemon=True).start()
    try:
        settings = replace(
            app.config["MARGINALIA"], websub_hub_url=hub.url, allow_private_targets=True
        )
        monkeypatch.setitem(app.config, "MARGINALIA", settings)
        queued = []
        monkeypatch.setattr(queue, "enqueue", lambda name, *args, **kw: queued.append((name, args)))
        post = publish("Hub news", tags=["Birds"])
        publish("A draft", status="draft")
        with app.app_context():
            dispatch_pending()
            db.session.remove()
        [(name, (topics,))] = queued
        assert name == "ping_websub_hub"
        base = "https://api.blog.example/v1/feeds/posts"
        assert {f"{base}.atom", f"{base}.json", f"{base}.atom?tag=birds"} <= set(topics)
        assert f"{base}.atom?author={post['author']['slug']}" in topics
        with app.app_context():
            assert websub.ping_hub(settings, topics) == len(topics)
        assert hub.pings[0] == {"hub.mode": "publish", "hub.url": f"{base}.atom"}
    finally:
        hub.shutdown()
        hub.server_close()
