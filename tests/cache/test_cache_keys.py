"""Precise invalidation: each event drops exactly the cached reads that share a key with it."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from api.cache.responses import response_cache
from api.events.models import Event
from api.infra.database import db
from tests.comments.helpers import new_ip
from tests.conftest import bearer

_readers = itertools.count(1)


@pytest.fixture
def moderator(make_token) -> dict[str, str]:
    return bearer(make_token("moderator", name="Mo"))


@pytest.fixture
def submit(client):
    """Post a comment as a new reader (it waits for a moderator): its receipt."""

    def send(slug: str, body: str = "A remark.") -> dict:
        n = next(_readers)
        response = client.post(
            f"/v1/posts/{slug}/comments",
            json={"author_name": f"Reader {n}", "author_email": f"r{n}@example.org", "body": body},
            environ_base={"REMOTE_ADDR": new_ip()},
            headers={"User-Agent": "TestBrowser/1.0"},
        )
        assert response.status_code == 202, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def stored_keys(app):
    """The cache keys of every event of a type, in order (None: a change nobody sees)."""

    def read(event_type: str) -> list[str | None]:
        with app.app_context():
            try:
                query = select(Event.cache_keys).where(Event.type == event_type)
                return list(db.session.scalars(query.order_by(Event.id)))
            finally:
                db.session.remove()

    return read


def hit(app, client, path: str) -> bool:
    """Read `path` anonymously; True when the cache answered it."""
    cache = response_cache(app)
    before = cache.hits
    assert client.get(path).status_code == 200
    return cache.hits == before + 1


def test_a_pending_comment_drops_nothing_and_its_approval_only_its_post(
    app, client, publish, submit, moderator, stored_keys
):
    one, other = publish("One"), publish("Other")
    reads = {
        "post": f"/v1/posts/{one['slug']}",
        "thread": f"/v1/posts/{one['slug']}/comments",
        "other post": f"/v1/posts/{other['slug']}",
        "other thread": f"/v1/posts/{other['slug']}/comments",
        "tags": "/v1/tags",
        "authors": "/v1/authors",
    }
    for path in reads.values():
        client.get(path)
    receipt = submit(one["slug"])
    assert receipt["status"] == "pending"
    assert {name: hit(app, client, path) for name, path in reads.items()} == dict.fromkeys(
        reads, True
    )

    decided = client.patch(
        f"/v1/moderation/comments/{receipt['id']}", json={"status": "approved"}, headers=moderator
    )
    assert decided.status_code == 200
    assert {name: hit(app, client, path) for name, path in reads.items()} == {
        "post": False,
        "thread": False,
        "other post": True,
        "other thread": True,
        "tags": True,
        "authors": True,
    }
    assert client.get(reads["post"]).get_json()["comment_count"] == 1
    assert [c["id"] for c in client.get(reads["thread"]).get_json()["items"]] == [receipt["id"]]
    assert stored_keys("comment.created") == [None]
    assert stored_keys("comment.approved") == [f"comments:{one['id']} post:{one['id']}"]


def test_a_post_edit_drops_the_post_and_the_lists_not_the_other_posts(
    app, client, admin, publish, stored_keys
):
    one, other = publish("One", tags=["alpha"]), publish("Other")
    reads = {
        "post": f"/v1/posts/{one['slug']}",
        "list": "/v1/posts",
        "list with authors": "/v1/posts?include=author,tags",
        "other post": f"/v1/posts/{other['slug']}",
        "thread": f"/v1/posts/{one['slug']}/comments",
        "tag": "/v1/tags/alpha",
    }
    for path in reads.values():
        client.get(path)
    edited = client.patch(f"/v1/posts/{one['slug']}", json={"title": "One, again"}, headers=admin)
    assert edited.status_code == 200
    assert {name: hit(app, client, path) for name, path in reads.items()} == {
        "post": False,
        "list": False,
        "list with authors": False,
        "other post": True,
        "thread": True,  # a title is not part of the thread
        "tag": True,  # nor of its tag
    }
    assert client.get(reads["post"]).get_json()["title"] == "One, again"
    assert stored_keys("post.updated") == [f"post:{one['id']} posts"]


def test_drafts_and_staff_only_fields_carry_no_keys(client, admin, author, stored_keys):
    draft = client.post(
        "/v1/posts", json={"title": "Draft", "author": author["slug"]}, headers=admin
    ).get_json()
    client.patch(f"/v1/posts/{draft['slug']}", json={"title": "Still a draft"}, headers=admin)
    client.patch(f"/v1/authors/{author['slug']}", json={"email": "new@example.org"}, headers=admin)
    client.patch(f"/v1/authors/{author['slug']}", json={"name": "Ada L."}, headers=admin)
    assert stored_keys("post.created") == [None]
    assert stored_keys("post.updated") == [None]
    assert stored_keys("author.updated") == [None, f"author:{author['id']} authors"]


def test_publishing_and_unpublishing_reach_collections_counts_and_the_thread(
    client, admin, publish, stored_keys
):
    post = publish("Counted", tags=["alpha"])
    client.patch(f"/v1/posts/{post['slug']}", json={"status": "draft"}, headers=admin)
    [tag_keys] = stored_keys("tag.created")
    tag_id = tag_keys.split()[0].partition(":")[2]
    author_id = post["author"]["id"] if isinstance(post["author"], dict) else None
    published, unpublished = stored_keys("post.published") + stored_keys("post.unpublished")
    expected = {
        f"post:{post['id']}",
        "posts",
        f"comments:{post['id']}",
        f"tag:{tag_id}",
    }
    assert expected <= set(published.split())
    assert set(published.split()) == set(unpublished.split())
    if author_id is not None:
        assert f"author:{author_id}" in published.split()
    assert tag_keys == f"tag:{tag_id} tags"


def test_an_entry_built_across_a_change_it_depends_on_is_not_kept(app):
    """A read that started before a write and stored after it must not outlive it."""
    from api.cache.store import Entry, ResponseCache

    cache = ResponseCache(10)
    cache.apply([(1, None)], latest=1, since=0)
    built_at = cache.seen
    cache.apply([(2, "post:7 posts")], latest=2, since=1)  # meanwhile
    cache.put(("", "/v1/posts/a", ""), Entry(built_at, "e", b"{}", (), keys=frozenset({"post:7"})))
    cache.put(("", "/v1/posts/b", ""), Entry(built_at, "e", b"{}", (), keys=frozenset({"post:8"})))
    assert cache.peek(("", "/v1/posts/a", "")) is None
    assert cache.peek(("", "/v1/posts/b", "")) is not None
    cache.apply([(3, "post:8")], latest=3, since=2)
    assert cache.peek(("", "/v1/posts/b", "")) is None
    cache.apply([], latest=0, since=3)  # the table was emptied: nothing known is kept
    assert cache.seen == 0
