"""Retention: a cap on revisions per post, pruned by the worker, never the published one;
a deleted post's revisions, draft and preview links go with it."""

from __future__ import annotations

import dataclasses

from api.content.tasks import prune_old_revisions


def _numbers(client, slug: str, admin: dict) -> list[int]:
    page = client.get(f"/v1/posts/{slug}/revisions?limit=100", headers=admin).get_json()
    return [revision["id"] for revision in page["items"]]


def test_the_worker_keeps_the_newest_revisions_and_the_published_one(
    app, client, admin, publish, monkeypatch, in_app
):
    slug = publish("Published once")["slug"]  # revision 1 is public
    client.patch(f"/v1/posts/{slug}", json={"status": "draft"}, headers=admin)
    for n in range(6):
        client.patch(f"/v1/posts/{slug}", json={"title": f"Edit {n}"}, headers=admin)
    assert _numbers(client, slug, admin) == [8, 7, 6, 5, 4, 3, 2, 1]

    assert in_app(prune_old_revisions) == 0  # keep all, by default
    settings = app.config["MARGINALIA"]
    monkeypatch.setitem(
        app.config, "MARGINALIA", dataclasses.replace(settings, revisions_per_post=3)
    )
    assert in_app(prune_old_revisions) == 4
    # The newest three, and revision 1: the last version readers saw.
    assert _numbers(client, slug, admin) == [8, 7, 6, 1]
    assert in_app(prune_old_revisions) == 0
    client.patch(f"/v1/posts/{slug}", json={"title": "Edit 7"}, headers=admin)
    assert _numbers(client, slug, admin)[0] == 9  # numbers never repeat


def test_deleting_a_post_deletes_its_revisions_draft_and_links(client, admin, publish, app):
    from sqlalchemy import text

    from api.infra.database import db

    slug = publish("Going")["slug"]
    client.put(f"/v1/posts/{slug}/draft", json={"title": "Pending"}, headers=admin)
    client.post(f"/v1/posts/{slug}/preview-links", json={}, headers=admin)
    assert client.delete(f"/v1/posts/{slug}", headers=admin).status_code == 204
    with app.app_context():
        left = [
            db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("post_revisions", "post_drafts", "preview_links")
        ]
        db.session.remove()
    assert left == [0, 0, 0]
