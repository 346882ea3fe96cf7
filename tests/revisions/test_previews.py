"""Preview links: signed, expiring, revocable; 404 alike for every bad token; never cached."""

from __future__ import annotations

from itsdangerous import URLSafeSerializer
from sqlalchemy import text

from api.cache.responses import response_cache
from api.content import editorial
from api.infra.database import db
from tests.conftest import bearer


def _link(client, admin, slug: str, **body) -> dict:
    answer = client.post(f"/v1/posts/{slug}/preview-links", json=body, headers=admin)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _path(link: dict) -> str:
    return "/v1/preview/" + link["url"].rsplit("/", 1)[1]


def test_a_preview_shows_exactly_the_version_asked_for_and_is_never_cached(
    app, client, admin, author, publish
):
    slug = client.post(
        "/v1/posts",
        json={"title": "Unpublished v1", "body": "One.", "author": author["slug"]},
        headers=admin,
    ).get_json()["slug"]
    client.patch(f"/v1/posts/{slug}", json={"title": "Unpublished v2"}, headers=admin)
    current, first = _link(client, admin, slug), _link(client, admin, slug, revision=1)
    assert current["url"].startswith("https://api.blog.example/v1/preview/")
    shown = client.get(_path(current))
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in shown.headers["X-Robots-Tag"]
    assert shown.get_json()["title"] == "Unpublished v2"
    assert shown.get_json()["version"] == "current"
    assert client.get(_path(first)).get_json()["title"] == "Unpublished v1"
    assert client.get(_path(first)).get_json()["body_html"] == "<p>One.</p>\n"
    assert client.get(f"/v1/posts/{slug}").status_code == 404  # still a draft to readers

    live = publish("Live", body="Live body.")["slug"]
    client.put(f"/v1/posts/{live}/draft", json={"body": "Pending body."}, headers=admin)
    pending = client.get(_path(_link(client, admin, live))).get_json()
    assert pending["version"] == "pending draft" and pending["body"] == "Pending body."
    assert "Pending" not in client.get(f"/v1/posts/{live}").get_data(as_text=True)

    # Revoking records no event, so a cached copy would still be served: none is.
    assert response_cache(app) is not None
    client.delete(f"/v1/posts/{slug}/preview-links/{current['id']}", headers=admin)
    assert client.get(_path(current)).status_code == 404


def test_expired_tampered_revoked_and_wrong_post_tokens_are_all_the_same_404(
    app, client, admin, publish, in_unit_of_work
):
    slug, other = publish("First")["slug"], publish("Second")["slug"]
    expired, revoked, good = (_link(client, admin, slug) for _ in range(3))
    with app.app_context():
        db.session.execute(
            text("UPDATE preview_links SET expires_at = created_at WHERE id = :id"),
            {"id": expired["id"]},
        )
        db.session.commit()
        db.session.remove()
    assert (
        client.delete(f"/v1/posts/{other}/preview-links/{revoked['id']}", headers=admin).status_code
        == 404
    )
    assert (
        client.delete(f"/v1/posts/{slug}/preview-links/{revoked['id']}", headers=admin).status_code
        == 204
    )
    token = _path(good).rsplit("/", 1)[1]
    signer = URLSafeSerializer("test-secret", salt="preview-link")
    post_id, nonce = signer.loads(token)
    wrong_post = signer.dumps([post_id + 1, nonce])  # validly signed, names another post
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    answers = [
        client.get(path)
        for path in (
            _path(expired),
            _path(revoked),
            f"/v1/preview/{wrong_post}",
            f"/v1/preview/{tampered}",
            "/v1/preview/nonsense",
        )
    ]
    assert [a.status_code for a in answers] == [404] * 5
    bodies = [{k: v for k, v in a.get_json().items() if k != "request_id"} for a in answers]
    assert all(body == bodies[0] for body in bodies)  # no oracle: one answer for all
    assert client.get(_path(good)).status_code == 200
    assert in_unit_of_work(editorial.forget_expired_links) == 1  # the worker's hourly clean-up
    listed = client.get(f"/v1/posts/{slug}/preview-links", headers=admin).get_json()
    assert [link["id"] for link in listed] == [good["id"]] and "url" not in listed[0]


def test_preview_links_are_for_staff_who_may_write_the_post_and_at_most_a_week(
    client, admin, publish, make_token
):
    slug = publish("Mine")["slug"]
    assert client.post(f"/v1/posts/{slug}/preview-links", json={}).status_code == 401
    reader = bearer(make_token("moderator"))
    assert (
        client.post(f"/v1/posts/{slug}/preview-links", json={}, headers=reader).status_code == 403
    )
    for body in ({"expires_in": 7 * 86400 + 1}, {"expires_in": 0}, {"revision": 99}):
        answer = client.post(f"/v1/posts/{slug}/preview-links", json=body, headers=admin)
        assert answer.status_code == 422, body
    assert _link(client, admin, slug, expires_in=7 * 86400)["expires_at"]
