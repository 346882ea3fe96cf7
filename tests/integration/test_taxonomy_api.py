"""Authors and tags through HTTP."""

from tests.conftest import bearer


def test_author_lifecycle_with_events_and_private_email(client, admin, events):
    created = client.post(
        "/v1/authors",
        json={
            "name": "Rogier Creemers",
            "bio": "Translator",
            "email": "r@example.org",
            "website": "https://example.org/",
            "avatar_url": "https://example.org/a.png",
        },
        headers=admin,
    )
    assert created.status_code == 201
    slug = created.get_json()["slug"]
    assert slug == "rogier-creemers"
    assert created.headers["Location"].endswith(f"/v1/authors/{slug}")
    public = client.get(f"/v1/authors/{slug}").get_json()
    assert "email" not in public and public["post_count"] == 0
    assert client.get(f"/v1/authors/{slug}", headers=admin).get_json()["email"] == "r@example.org"
    assert all("email" not in a for a in client.get("/v1/authors").get_json()["items"])

    renamed = client.patch(f"/v1/authors/{slug}", json={"name": "R. Creemers"}, headers=admin)
    assert renamed.get_json()["name"] == "R. Creemers"
    assert client.delete(f"/v1/authors/{slug}", headers=admin).status_code == 204
    assert client.get(f"/v1/authors/{slug}").status_code == 404
    assert [t for t, _ in events("author.")] == [
        "author.created",
        "author.updated",
        "author.deleted",
    ]
    assert all("email" not in data["author"] for _, data in events("author."))


def test_author_with_posts_cannot_be_deleted(client, admin, publish, author, events):
    publish("Keeps the author")
    before = len(events())
    response = client.delete(f"/v1/authors/{author['slug']}", headers=admin)
    assert response.status_code == 409
    assert client.get(f"/v1/authors/{author['slug']}").status_code == 200
    assert len(events()) == before


def test_published_post_counts(client, admin, publish, author):
    publish("One", tags=["a"])
    publish("Two", tags=["a", "b"])
    client.post(
        "/v1/posts", json={"title": "Draft", "author": author["slug"], "tags": ["b"]}, headers=admin
    )
    assert client.get(f"/v1/authors/{author['slug']}").get_json()["post_count"] == 2
    counts = {t["slug"]: t["post_count"] for t in client.get("/v1/tags").get_json()["items"]}
    assert counts == {"a": 2, "b": 1}
    assert client.get("/v1/tags/b").get_json()["post_count"] == 1


def test_tag_lifecycle_and_deleting_a_tag_leaves_posts(client, admin, publish, events):
    post = publish("Tagged", tags=["keep", "drop"])
    clash = client.post("/v1/tags", json={"name": "Keep", "slug": "keep"}, headers=admin)
    assert clash.status_code == 409
    etag = client.get("/v1/tags/drop", headers=admin).headers["ETag"]
    changed = client.patch(
        "/v1/tags/drop", json={"description": "soon gone"}, headers={**admin, "If-Match": etag}
    )
    assert changed.status_code == 200
    assert (
        client.patch(
            "/v1/tags/drop", json={"description": "x"}, headers={**admin, "If-Match": etag}
        ).status_code
        == 412
    )
    assert client.delete("/v1/tags/drop", headers=admin).status_code == 204
    tags = client.get(f"/v1/posts/{post['slug']}").get_json()["tags"]
    assert [t["slug"] for t in tags] == ["keep"]
    assert events("tag.")[-1][0] == "tag.deleted"


def test_taxonomy_writes_need_editor_or_admin(client, make_token, author):
    for role in ("author", "moderator"):
        headers = bearer(make_token(role, author=author["slug"] if role == "author" else None))
        assert client.post("/v1/tags", json={"name": "x"}, headers=headers).status_code == 403
        assert (
            client.patch(
                f"/v1/authors/{author['slug']}", json={"name": "x"}, headers=headers
            ).status_code
            == 403
        )
    editor = bearer(make_token("editor"))
    assert client.post("/v1/tags", json={"name": "x"}, headers=editor).status_code == 201
    assert client.post("/v1/tags", json={"name": "y"}).status_code == 401


def test_invalid_author_fields(client, admin):
    response = client.post(
        "/v1/authors",
        json={
            "name": "",
            "email": "not-an-email",
            "website": "javascript:alert(1)",
            "slug": "Has Spaces",
        },
        headers=admin,
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "email", "website", "slug"}


def test_taxonomy_lists_paginate(client, admin):
    for n in range(5):
        client.post("/v1/tags", json={"name": f"tag {n}"}, headers=admin)
    first = client.get("/v1/tags?limit=2").get_json()
    second = client.get(first["next"]).get_json()
    third = client.get(second["next"]).get_json()
    names = [t["slug"] for page in (first, second, third) for t in page["items"]]
    assert names == [f"tag-{n}" for n in range(5)] and third["next"] is None
