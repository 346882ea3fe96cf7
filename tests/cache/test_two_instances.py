"""Two app instances on one database, each with its own response cache and no traffic
between them: after any write through either, no read on either is stale."""

from __future__ import annotations

import itertools
import random

import pytest

from api.app import create_app
from api.cache.responses import response_cache
from api.infra.database import db
from tests.comments.helpers import new_ip
from tests.conftest import bearer

_readers = itertools.count(1)


@pytest.fixture
def second(app, test_settings):
    """Another instance: its own app, cache and connections; the same database."""
    other = create_app(test_settings, TESTING=True, QUEUE_IMMEDIATE=True)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_interleaved_writes_and_reads_on_two_instances_are_never_stale(
    app, second, admin, make_token, publish
):
    moderator = bearer(make_token("moderator", name="Mo"))
    clients = [app.test_client(), second.test_client()]
    rng = random.Random(14)
    posts = [publish(f"Post {n}", tags=[f"tag-{n % 2}"]) for n in range(4)]
    titles = {post["slug"]: post["title"] for post in posts}
    approved = {post["slug"]: 0 for post in posts}
    tag_names = {"tag-0": "tag-0", "tag-1": "tag-1"}

    def check_everything() -> None:
        for client in clients:
            for slug, title in titles.items():
                read = client.get(f"/v1/posts/{slug}").get_json()
                assert (read["title"], read["comment_count"]) == (title, approved[slug])
                thread = client.get(f"/v1/posts/{slug}/comments").get_json()
                assert len(thread["items"]) == approved[slug]
            listed = client.get("/v1/posts?limit=50").get_json()["items"]
            assert {item["slug"]: item["title"] for item in listed} == titles
            for slug, name in tag_names.items():
                assert client.get(f"/v1/tags/{slug}").get_json()["name"] == name

    check_everything()
    for step in range(30):
        writer = rng.choice(clients)
        slug = rng.choice(list(titles))
        action = rng.choice(["title", "comment", "tag", "pending"])
        if action == "title":
            titles[slug] = f"{slug} at step {step}"
            answer = writer.patch(f"/v1/posts/{slug}", json={"title": titles[slug]}, headers=admin)
            assert answer.status_code == 200
        elif action in ("comment", "pending"):
            n = next(_readers)
            receipt = rng.choice(clients).post(
                f"/v1/posts/{slug}/comments",
                json={"author_name": f"R{n}", "author_email": f"r{n}@example.org", "body": "Hi"},
                environ_base={"REMOTE_ADDR": new_ip()},
                headers={"User-Agent": "TestBrowser/1.0"},
            )
            assert receipt.status_code == 202, receipt.get_json()
            if action == "comment":
                decided = writer.patch(
                    f"/v1/moderation/comments/{receipt.get_json()['id']}",
                    json={"status": "approved"},
                    headers=moderator,
                )
                assert decided.status_code == 200
                approved[slug] += 1
        else:
            tag = rng.choice(list(tag_names))
            tag_names[tag] = f"{tag} at step {step}"
            answer = writer.patch(f"/v1/tags/{tag}", json={"name": tag_names[tag]}, headers=admin)
            assert answer.status_code == 200
        check_everything()

    # Both caches did answer reads in between (the precision is tested elsewhere).
    assert response_cache(app).hits > 0 and response_cache(second).hits > 0
