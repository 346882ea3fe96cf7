"""Pending drafts over published posts, scheduled draft publishing, scheduled unpublish."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from api.content.tasks import publish_due_drafts_now, unpublish_due_posts
from tests.revisions.helpers import make_draft_due, make_due


def _later(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta or {"hours": 1})).isoformat()


def _anonymous_sees(client, slug: str) -> str:
    """Everything an anonymous reader can get about the post, as one string."""
    seen = [
        client.get(f"/v1/posts/{slug}").get_data(as_text=True),
        client.get("/v1/posts").get_data(as_text=True),
        client.get("/v1/posts?q=Secret").get_data(as_text=True),
        client.get("/v1/posts?q=Secret&formats=plaintext").get_data(as_text=True),
    ]
    return "\n".join(seen)


def test_a_pending_draft_is_invisible_until_published_then_one_event_one_revision(
    client, admin, publish, events
):
    post = publish("Public title", body="Public body.")
    slug = post["slug"]
    before = client.get(f"/v1/posts/{slug}")  # warms the response cache
    etag = before.headers["ETag"]
    saved = client.put(
        f"/v1/posts/{slug}/draft",
        json={"title": "Secret title", "body": "Secret body.", "tags": ["hidden"]},
        headers=admin,
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["changes"]["title"] == "Secret title"
    assert saved.get_json()["saved_by"] == {"name": "admin", "role": "admin"}

    assert "Secret" not in _anonymous_sees(client, slug)
    again = client.get(f"/v1/posts/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304  # readers' copy is still current
    assert client.get(f"/v1/posts/{slug}", headers=admin).get_json()["title"] == "Public title"
    assert client.get("/v1/events").status_code == 401  # the event feed is staff-only
    draft_saved = events("post.draft_saved")
    assert len(draft_saved) == 1 and "Secret" not in json.dumps(draft_saved[0][1])
    assert draft_saved[0][1]["changed"] == ["body", "tags", "title"]
    assert client.get(f"/v1/posts/{slug}/draft").status_code == 401
    revisions_before = client.get(f"/v1/posts/{slug}/revisions", headers=admin).get_json()
    assert [r["id"] for r in revisions_before["items"]] == [1]  # saving is no revision

    read = client.get(f"/v1/posts/{slug}/draft", headers=admin)
    client.put(f"/v1/posts/{slug}/draft", json={"title": "Secret title 2"}, headers=admin)
    stale = client.post(
        f"/v1/posts/{slug}/draft/publish", headers={**admin, "If-Match": read.headers["ETag"]}
    )
    assert stale.status_code == 412
    fresh = client.get(f"/v1/posts/{slug}/draft", headers=admin).headers["ETag"]
    count_before = len(events())
    published = client.post(f"/v1/posts/{slug}/draft/publish", headers={**admin, "If-Match": fresh})
    assert published.status_code == 200, published.get_json()
    assert [kind for kind, _ in events()[count_before:]] == ["post.draft_published"]
    public = client.get(f"/v1/posts/{slug}").get_json()  # a PUT replaces the whole draft
    assert public["title"] == "Secret title 2" and public["body_html"] == "<p>Public body.</p>\n"
    listed = client.get(f"/v1/posts/{slug}/revisions", headers=admin).get_json()["items"]
    assert [r["id"] for r in listed] == [2, 1]
    assert listed[0]["summary"] == "published the pending draft; changed title"
    assert client.get(f"/v1/posts/{slug}/draft", headers=admin).status_code == 404


def test_draft_rules_refusals_and_discarding(client, admin, publish):
    draft_post = client.post(
        "/v1/posts",
        json={"title": "Unpublished", "author": publish()["author"]["slug"]},
        headers=admin,
    ).get_json()
    refused = client.put(
        f"/v1/posts/{draft_post['slug']}/draft", json={"title": "x"}, headers=admin
    )
    assert refused.status_code == 409
    slug = publish("Live")["slug"]
    for body in (
        {"status": "draft"},
        {"publish_at": _later(hours=-1)},
        {"title": ""},
        {"author": "nobody-by-that-slug"},
    ):
        answer = client.put(f"/v1/posts/{slug}/draft", json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.get_json())
    assert client.delete(f"/v1/posts/{slug}/draft", headers=admin).status_code == 404
    client.put(f"/v1/posts/{slug}/draft", json={"title": "Pending"}, headers=admin)
    assert (
        client.delete(f"/v1/posts/{slug}/draft", headers={**admin, "If-Match": '"0"'}).status_code
        == 412
    )
    assert client.delete(f"/v1/posts/{slug}/draft", headers=admin).status_code == 204
    assert client.post(f"/v1/posts/{slug}/draft/publish", headers=admin).status_code == 404
    assert client.get(f"/v1/posts/{slug}").get_json()["title"] == "Live"


def test_a_scheduled_draft_is_published_once_by_the_worker(
    app, client, admin, publish, events, in_app
):
    slug = publish("Now")["slug"]
    saved = client.put(
        f"/v1/posts/{slug}/draft",
        json={"title": "Later", "publish_at": _later()},
        headers=admin,
    )
    assert saved.status_code == 200
    assert in_app(publish_due_drafts_now) == 0
    make_draft_due(app, slug)
    assert in_app(publish_due_drafts_now) == 1
    assert in_app(publish_due_drafts_now) == 0
    assert client.get(f"/v1/posts/{slug}").get_json()["title"] == "Later"
    published = events("post.draft_published")
    assert len(published) == 1 and published[0][1]["scheduled"] is True
    newest = client.get(f"/v1/posts/{slug}/revisions?limit=1", headers=admin).get_json()["items"][0]
    assert newest["author"] == {"name": "system: scheduler", "role": "system"}


def test_unpublish_at_takes_a_post_back_to_draft_once(app, client, admin, publish, events, in_app):
    slug = publish("Short-lived", unpublish_at=_later())["slug"]
    staff_view = client.get(f"/v1/posts/{slug}", headers=admin).get_json()
    assert staff_view["unpublish_at"] is not None
    assert "unpublish_at" not in client.get(f"/v1/posts/{slug}").get_json()
    assert in_app(unpublish_due_posts) == 0
    make_due(app, slug, "unpublish_at")
    assert in_app(unpublish_due_posts) == 1
    assert in_app(unpublish_due_posts) == 0
    assert client.get(f"/v1/posts/{slug}").status_code == 404
    after = client.get(f"/v1/posts/{slug}", headers=admin).get_json()
    assert after["status"] == "draft" and after["unpublish_at"] is None
    unpublished = events("post.unpublished")
    assert len(unpublished) == 1 and unpublished[0][1]["scheduled"] is True
    past = client.patch(f"/v1/posts/{slug}", json={"unpublish_at": _later(hours=-1)}, headers=admin)
    assert past.status_code == 422


def test_pages_have_the_same_revisions_drafts_and_previews(client, admin, author, events):
    page = client.post(
        "/v1/pages",
        json={"title": "About", "status": "published", "author": author["slug"]},
        headers=admin,
    ).get_json()
    slug = page["slug"]
    client.patch(f"/v1/pages/{slug}", json={"title": "About us"}, headers=admin)
    assert client.get(f"/v1/posts/{slug}/revisions", headers=admin).status_code == 404
    listed = client.get(f"/v1/pages/{slug}/revisions", headers=admin).get_json()["items"]
    assert [r["id"] for r in listed] == [2, 1]
    client.put(f"/v1/pages/{slug}/draft", json={"body": "Soon."}, headers=admin)
    assert "Soon" not in client.get(f"/v1/pages/{slug}").get_data(as_text=True)
    link = client.post(f"/v1/pages/{slug}/preview-links", json={}, headers=admin).get_json()
    preview = client.get("/v1/preview/" + link["url"].rsplit("/", 1)[1]).get_json()
    assert preview["type"] == "page" and preview["body"] == "Soon."
    assert client.post(f"/v1/pages/{slug}/draft/publish", headers=admin).status_code == 200
    assert client.get(f"/v1/pages/{slug}").get_json()["body_html"] == "<p>Soon.</p>\n"
    etag = client.get(f"/v1/pages/{slug}", headers=admin).headers["ETag"]
    restored = client.post(
        f"/v1/pages/{slug}/revisions/1/restore", headers={**admin, "If-Match": etag}
    )
    assert restored.get_json()["title"] == "About" and restored.get_json()["body"] == ""
    kinds = [kind for kind, _ in events("page.")]
    assert kinds == [
        "page.published",
        "page.updated",
        "page.draft_saved",
        "page.draft_published",
        "page.updated",
        "page.revision_restored",
    ]
