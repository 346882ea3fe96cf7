"""Revisions through HTTP: every write is one, listed newest first, diffed, restored."""

from __future__ import annotations

from datetime import UTC, datetime

from api.auth.policy import IMPORTER
from api.content import services
from api.content.tasks import publish_due_posts
from tests.conftest import bearer
from tests.revisions.helpers import make_due

RESTORED = ("title", "body", "custom_excerpt", "tags", "comments_open", "meta_title", "featured")


def _all_revisions(client, slug: str, headers: dict) -> list[dict]:
    found, url = [], f"/v1/posts/{slug}/revisions?limit=30"
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200, page.get_json()
        assert page.headers["Cache-Control"] == "private, no-store"
        found += page.get_json()["items"]
        url = page.get_json()["next"]
    return found


def _as_written(post: dict) -> dict:
    """The API's post in a snapshot's terms (tags and author by slug)."""
    return {
        **{name: post[name] for name in RESTORED if name != "tags"},
        "tags": [tag["slug"] for tag in post["tags"]],
        "author": post["author"]["slug"],
    }


def test_a_hundred_updates_are_101_revisions_diffed_and_restorable(client, admin, author, events):
    slug = client.post(
        "/v1/posts",
        json={"title": "Draft 0", "body": "line a\nline b\n", "author": author["slug"]},
        headers=admin,
    ).get_json()["slug"]
    for n in range(1, 101):
        changes = {"title": f"Draft {n}"}
        if n % 2:
            changes["body"] = f"line a\nline b {n}\n"
        if n == 2:
            changes |= {"tags": ["alpha", "beta"], "meta_title": "Meta two", "featured": True}
        if n == 3:
            changes |= {"custom_excerpt": "Excerpt three", "tags": ["gamma"]}
        answer = client.patch(f"/v1/posts/{slug}", json=changes, headers=admin)
        assert answer.status_code == 200, answer.get_json()

    listed = _all_revisions(client, slug, admin)
    assert [r["id"] for r in listed] == list(range(101, 0, -1))
    assert listed[-1]["summary"] == "created" and listed[-1]["changed"] == []
    assert listed[0]["changed"] == ["title"]  # update 100 kept the body
    assert listed[1]["changed"] == ["title", "body"]
    assert listed[0]["author"] == {"name": "admin", "role": "admin"}
    counted = client.get(f"/v1/posts/{slug}/revisions?count=true&limit=1", headers=admin)
    assert counted.get_json()["total"] == 101

    third = client.get(f"/v1/posts/{slug}/revisions/3", headers=admin).get_json()
    assert third["snapshot"]["title"] == "Draft 2" and third["snapshot"]["tags"] == [
        "alpha",
        "beta",
    ]
    diff = client.get(f"/v1/posts/{slug}/revisions/5/diff?against=3", headers=admin).get_json()
    assert {change["field"] for change in diff["fields"]} == {"title", "custom_excerpt", "tags"}
    assert diff["body"].startswith("--- revision 3\n+++ revision 5\n")
    assert "-line b 1\n+line b 3\n" in diff["body"]
    by_default = client.get(f"/v1/posts/{slug}/revisions/101/diff", headers=admin).get_json()
    assert by_default["against"] == 100
    assert by_default["fields"] == [{"field": "title", "from": "Draft 99", "to": "Draft 100"}]
    assert by_default["body"] == ""

    stale = client.get(f"/v1/posts/{slug}", headers=admin).headers["ETag"]
    client.patch(f"/v1/posts/{slug}", json={"title": "Moved on"}, headers=admin)
    refused = client.post(
        f"/v1/posts/{slug}/revisions/3/restore", headers={**admin, "If-Match": stale}
    )
    assert refused.status_code == 412
    etag = client.get(f"/v1/posts/{slug}", headers=admin).headers["ETag"]
    restored = client.post(
        f"/v1/posts/{slug}/revisions/3/restore", headers={**admin, "If-Match": etag}
    )
    assert restored.status_code == 200, restored.get_json()
    post = client.get(f"/v1/posts/{slug}", headers=admin).get_json()
    expected = {name: third["snapshot"][name] for name in (*RESTORED, "author")}
    assert _as_written(post) == expected
    newest = client.get(f"/v1/posts/{slug}/revisions?limit=1", headers=admin).get_json()
    assert newest["items"][0]["id"] == 103  # 101, the "Moved on" update, the restore
    assert newest["items"][0]["summary"].startswith("restored revision 3")
    kinds = [kind for kind, _ in events("post.")][-2:]
    assert kinds == ["post.updated", "post.revision_restored"]


def test_revisions_are_staff_only_and_404_for_what_does_not_exist(
    client, admin, publish, make_token, author
):
    post = publish("Public")
    assert client.get(f"/v1/posts/{post['slug']}/revisions").status_code == 401
    moderator = bearer(make_token("moderator"))
    assert client.get(f"/v1/posts/{post['slug']}/revisions", headers=moderator).status_code == 403
    assert client.get("/v1/posts/nothing/revisions", headers=admin).status_code == 404
    missing = client.get(f"/v1/posts/{post['slug']}/revisions/9", headers=admin)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert (
        client.post(f"/v1/posts/{post['slug']}/revisions/9/restore", headers=admin).status_code
        == 404
    )
    tampered = client.get(f"/v1/posts/{post['slug']}/revisions?cursor=forged", headers=admin)
    assert tampered.status_code == 400


def test_each_writer_is_named_on_its_revision(app, client, admin, author, make_token, in_app):
    """Acceptance 5: admin, editor, author, importer and the worker."""
    editor = bearer(make_token("editor", name="Eddie"))
    own = bearer(make_token("author", author=author["slug"], name="Ada's token"))
    slug = client.post(
        "/v1/posts", json={"title": "By admin", "author": author["slug"]}, headers=admin
    ).get_json()["slug"]
    client.patch(f"/v1/posts/{slug}", json={"title": "By editor"}, headers=editor)
    client.patch(f"/v1/posts/{slug}", json={"title": "By author"}, headers=own)

    def imported():
        from api.infra.unit_of_work import unit_of_work

        with unit_of_work():
            services.update_post(IMPORTER, slug, {"title": "By importer"}, None)
            services.update_post(
                IMPORTER,
                slug,
                {"status": "scheduled", "published_at": datetime(2999, 1, 1, tzinfo=UTC)},
                None,
            )

    in_app(imported)
    make_due(app, slug)
    assert in_app(publish_due_posts) == 1
    writers = [
        (r["author"]["name"], r["author"]["role"])
        for r in reversed(_all_revisions(client, slug, admin))
    ]
    assert writers == [
        ("admin", "admin"),
        ("Eddie", "editor"),
        ("Ada's token", "author"),
        ("system: importer", "system"),
        ("system: importer", "system"),
        ("system: scheduler", "system"),
    ]


def test_authors_see_and_restore_only_their_own_posts_revisions(client, admin, author, make_token):
    other = client.post("/v1/authors", json={"name": "Grace"}, headers=admin).get_json()
    theirs = client.post(
        "/v1/posts", json={"title": "Theirs", "author": other["slug"]}, headers=admin
    ).get_json()["slug"]
    own = bearer(make_token("author", author=author["slug"]))
    assert client.get(f"/v1/posts/{theirs}/revisions", headers=own).status_code == 404
    assert client.post(f"/v1/posts/{theirs}/revisions/1/restore", headers=own).status_code in (
        403,
        404,
    )


def test_the_cli_demo_loader_is_a_system_writer(app, client, admin):
    from api.demo.loader import POST_SLUG, load_demo
    from api.infra.database import db

    with app.app_context():
        load_demo()
        db.session.remove()
    listed = client.get(f"/v1/posts/{POST_SLUG}/revisions", headers=admin).get_json()["items"]
    assert [(r["id"], r["author"]) for r in listed] == [
        (1, {"name": "system: demo loader", "role": "system"})
    ]
