"""Scheduled unpublish and scheduled draft publishing happen once with two workers.

Two threads stand for two worker processes: each sweeps in its own app context (its own
session and connection) at the same moment. On PostgreSQL the row locks decide
(`FOR UPDATE SKIP LOCKED`); on SQLite the single writer does.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from api.content.tasks import publish_due_drafts_now, unpublish_due_posts
from api.infra.database import db
from tests.revisions.helpers import make_draft_due, make_due

POSTS = 6


def _race(app, sweep) -> list[int]:
    start, done = threading.Barrier(2), []

    def worker():
        with app.app_context():
            try:
                start.wait(10)
                done.append(sweep())
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return done


def test_two_workers_unpublish_each_due_post_and_publish_each_due_draft_once(
    app, client, admin, publish, events
):
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    leaving = [publish(f"Leaving {n}", unpublish_at=later)["slug"] for n in range(POSTS)]
    drafted = [publish(f"Drafted {n}")["slug"] for n in range(POSTS)]
    for slug in drafted:
        saved = client.put(
            f"/v1/posts/{slug}/draft",
            json={"title": f"{slug} v2", "publish_at": later},
            headers=admin,
        )
        assert saved.status_code == 200
    for slug in leaving:
        make_due(app, slug, "unpublish_at")
    for slug in drafted:
        make_draft_due(app, slug)

    unpublished = _race(app, unpublish_due_posts)
    published = _race(app, publish_due_drafts_now)

    assert len(unpublished) == 2 and sum(unpublished) == POSTS
    assert len(published) == 2 and sum(published) == POSTS
    assert len(events("post.unpublished")) == POSTS
    assert len(events("post.draft_published")) == POSTS
    for slug in leaving:
        assert client.get(f"/v1/posts/{slug}").status_code == 404
        revisions = client.get(f"/v1/posts/{slug}/revisions", headers=admin).get_json()
        assert [r["id"] for r in revisions["items"]] == [2, 1]
    for slug in drafted:
        assert client.get(f"/v1/posts/{slug}").get_json()["title"] == f"{slug} v2"
        revisions = client.get(f"/v1/posts/{slug}/revisions", headers=admin).get_json()
        assert [r["id"] for r in revisions["items"]] == [2, 1]
