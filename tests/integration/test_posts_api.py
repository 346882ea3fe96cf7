"""Posts through HTTP: what frontends read and what staff write."""

from datetime import UTC, datetime, timedelta

from tests.conftest import bearer


def test_staff_flow_draft_publish_stale_write_delete_records_one_event_each(
    client, admin, author, events
):
    created = client.post(
        "/v1/posts",
        json={"title": "Hello, world", "body": "First!", "author": author["slug"]},
        headers=admin,
    )
    assert created.status_code == 201
    post = created.get_json()
    assert post["status"] == "draft"
    assert created.headers["Location"].endswith(f"/v1/posts/{post['slug']}")
    assert client.get(f"/v1/posts/{post['slug']}").status_code == 404
    assert [t for t, _ in events("post.")] == ["post.created"]

    stale = client.get(f"/v1/posts/{post['slug']}", headers=admin).headers["ETag"]
    published = client.patch(
        f"/v1/posts/{post['slug']}",
        json={"status": "published"},
        headers={**admin, "If-Match": stale},
    )
    assert published.status_code == 200
    assert published.get_json()["published_at"] is not None
    listed = client.get("/v1/posts").get_json()["items"]
    assert [p["slug"] for p in listed] == [post["slug"]]
    assert [t for t, _ in events("post.")] == ["post.created", "post.published"]

    refused = client.patch(
        f"/v1/posts/{post['slug']}",
        json={"title": "Lost update"},
        headers={**admin, "If-Match": stale},
    )
    assert refused.status_code == 412
    assert refused.mimetype == "application/problem+json"
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["title"] == "Hello, world"
    assert len(events("post.")) == 2

    fresh = client.get(f"/v1/posts/{post['slug']}", headers=admin).headers["ETag"]
    deleted = client.delete(f"/v1/posts/{post['slug']}", headers={**admin, "If-Match": fresh})
    assert deleted.status_code == 204
    assert client.get(f"/v1/posts/{post['slug']}").status_code == 404
    assert [t for t, _ in events("post.")] == ["post.created", "post.published", "post.deleted"]


def test_author_token_writes_own_posts_only(client, admin, make_token, author):
    other = client.post("/v1/authors", json={"name": "Grace Hopper"}, headers=admin).get_json()
    own_token = bearer(make_token("author", author=author["slug"]))
    mine = client.post("/v1/posts", json={"title": "Mine"}, headers=own_token)
    assert mine.status_code == 201
    assert mine.get_json()["author"]["slug"] == author["slug"]
    theirs = client.post(
        "/v1/posts",
        json={"title": "Theirs", "author": other["slug"], "status": "published"},
        headers=admin,
    ).get_json()
    assert (
        client.patch(
            f"/v1/posts/{theirs['slug']}", json={"title": "Hijacked"}, headers=own_token
        ).status_code
        == 403
    )
    assert client.delete(f"/v1/posts/{theirs['slug']}", headers=own_token).status_code == 403
    assert (
        client.post(
            "/v1/posts",
            json={"title": "As someone else", "author": other["slug"]},
            headers=own_token,
        ).status_code
        == 403
    )
    # Another author's draft is invisible rather than forbidden.
    draft = client.post(
        "/v1/posts", json={"title": "Secret", "author": other["slug"]}, headers=admin
    ).get_json()
    assert client.get(f"/v1/posts/{draft['slug']}", headers=own_token).status_code == 404


def test_writes_need_a_token_and_the_right_role(client, make_token, author):
    assert client.post("/v1/posts", json={"title": "x"}).status_code == 401
    moderator = bearer(make_token("moderator"))
    assert (
        client.post(
            "/v1/posts", json={"title": "x", "author": author["slug"]}, headers=moderator
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/posts", json={"title": "x"}, headers=bearer("mgl_not-a-real-token")
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/v1/posts", json={"title": "x"}, headers={"Authorization": "Basic Zm9vOmJhcg=="}
        ).status_code
        == 401
    )


def test_revoked_token_stops_working_at_once(client, admin, make_token):
    token = make_token("editor", name="temp")
    tokens = client.get("/v1/tokens", headers=admin).get_json()["items"]
    token_id = next(t["id"] for t in tokens if t["name"] == "temp")
    assert client.get("/v1/posts?status=any", headers=bearer(token)).status_code == 200
    assert client.delete(f"/v1/tokens/{token_id}", headers=admin).status_code == 204
    assert client.get("/v1/posts?status=any", headers=bearer(token)).status_code == 401


def test_public_list_shows_published_posts_newest_first(client, publish, admin, author):
    old = publish("Old", published_at="2020-01-01T00:00:00Z")
    new = publish("New", published_at="2021-01-01T00:00:00+02:00")
    client.post("/v1/posts", json={"title": "Draft", "author": author["slug"]}, headers=admin)
    items = client.get("/v1/posts").get_json()["items"]
    assert [p["slug"] for p in items] == [new["slug"], old["slug"]]
    assert items[0]["published_at"] == "2020-12-31T22:00:00Z"
    assert "body" not in items[0]


def test_link_header_walks_every_page_exactly_once(client, publish):
    slugs = {
        publish(f"Post {n}", published_at=f"2020-01-{n + 1:02d}T00:00:00Z")["slug"]
        for n in range(7)
    }
    seen, url, pages = [], "/v1/posts?limit=3", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [p["slug"] for p in response.get_json()["items"]]
        url = response.get_json()["next"]
        if url:
            assert f'<{url}>; rel="next"' in response.headers["Link"]
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == slugs


def test_same_timestamp_posts_paginate_by_id(client, publish):
    for n in range(5):
        publish(f"Tie {n}", published_at="2020-05-05T05:05:05Z")
    first = client.get("/v1/posts?limit=2").get_json()
    rest = client.get(first["next"]).get_json()
    last = client.get(rest["next"]).get_json()
    slugs = [p["slug"] for page in (first, rest, last) for p in page["items"]]
    assert len(set(slugs)) == 5 and last["next"] is None


def test_filters_by_tag_author_dates_and_full_text(client, publish, admin):
    other = client.post("/v1/authors", json={"name": "Other"}, headers=admin).get_json()
    a = publish(
        "Cybersecurity week",
        body="Strong network country",
        tags=["Security"],
        published_at="2020-01-01T00:00:00Z",
    )
    b = publish(
        "Copyright notes",
        body="Media and copyright",
        tags=["media", "Security"],
        author=other["slug"],
        published_at="2021-01-01T00:00:00Z",
    )

    def slugs(query):
        response = client.get(f"/v1/posts?{query}")
        assert response.status_code == 200, response.get_json()
        return [p["slug"] for p in response.get_json()["items"]]

    assert slugs("tag=security") == [b["slug"], a["slug"]]
    assert slugs("tag=media") == [b["slug"]]
    assert slugs(f"author={other['slug']}") == [b["slug"]]
    assert slugs("published_after=2020-06-01T00:00:00Z") == [b["slug"]]
    assert slugs("published_before=2020-06-01T00:00:00Z") == [a["slug"]]
    assert slugs("q=network") == [a["slug"]]
    assert slugs("q=COPYRIGHT") == [b["slug"]]
    assert slugs("q=copyright media") == [b["slug"]]
    assert slugs("q=nothing-like-this") == []
    assert slugs("tag=unknown") == []


def test_search_follows_edits(client, publish, admin):
    post = publish("Before", body="alpha")
    client.patch(f"/v1/posts/{post['slug']}", json={"body": "omega"}, headers=admin)
    assert client.get("/v1/posts?q=alpha").get_json()["items"] == []
    assert len(client.get("/v1/posts?q=omega").get_json()["items"]) == 1


def test_include_embeds_whole_author_and_tags(client, publish):
    publish("With tags", tags=["Python"])
    plain = client.get("/v1/posts").get_json()["items"][0]
    assert plain["author"] == {"slug": "ada-lovelace", "name": "Ada Lovelace"}
    assert plain["tags"] == [{"slug": "python", "name": "Python"}]
    full = client.get("/v1/posts?include=author,tags").get_json()["items"][0]
    assert full["author"]["bio"] == "" and "email" not in full["author"]
    assert full["tags"][0]["description"] == ""


def test_sparse_fieldsets(client, publish):
    publish("Sparse")
    item = client.get("/v1/posts?fields=title,slug").get_json()["items"][0]
    assert set(item) == {"id", "title", "slug"}  # a sparse post still names itself
    assert client.get("/v1/posts?fields=title,password").status_code == 422


def test_single_post_has_everything_a_frontend_needs(client, publish):
    post = publish("Readable", body="Hello **world** <script>alert(1)</script>", tags=["News"])
    body = client.get(f"/v1/posts/{post['slug']}").get_json()
    assert body["body_html"].startswith("<p>Hello <strong>world</strong>")
    assert "<script" not in body["body_html"]
    assert body["url"] == f"https://blog.example/{post['slug']}/"
    assert body["pingback_url"] == "https://api.blog.example/xmlrpc"
    assert body["webmention_url"] == "https://api.blog.example/v1/webmention"
    assert body["comment_count"] == 0 and body["comments_open"] is True
    assert body["excerpt"] == "Hello world"
    assert body["author"]["name"] == "Ada Lovelace"


def test_slugs_are_generated_unicode_aware_and_unique(client, publish, admin, author):
    first = publish("Grüße aus Köln")
    second = publish("Grüße aus Köln")
    assert first["slug"] == "grüße-aus-köln"
    assert second["slug"] == "grüße-aus-köln-2"
    assert client.get(f"/v1/posts/{first['slug']}").status_code == 200
    clash = client.post(
        "/v1/posts",
        json={"title": "x", "slug": first["slug"], "author": author["slug"]},
        headers=admin,
    )
    assert clash.status_code == 409
    rename = client.patch(
        f"/v1/posts/{second['slug']}", json={"slug": first["slug"]}, headers=admin
    )
    assert rename.status_code == 409


def test_status_rules(client, admin, author):
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = "2000-01-01T00:00:00Z"
    base = {"title": "Timing", "author": author["slug"]}
    assert (
        client.post("/v1/posts", json={**base, "status": "scheduled"}, headers=admin).status_code
        == 422
    )
    assert (
        client.post(
            "/v1/posts", json={**base, "status": "scheduled", "published_at": past}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/v1/posts", json={**base, "status": "published", "published_at": future}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/v1/posts", json={**base, "published_at": "2020-01-01T00:00:00"}, headers=admin
        ).status_code
        == 422
    )  # no timezone
    scheduled = client.post(
        "/v1/posts", json={**base, "status": "scheduled", "published_at": future}, headers=admin
    )
    assert scheduled.status_code == 201
    assert client.get("/v1/posts").get_json()["items"] == []


def test_unpublishing_hides_and_records(client, publish, admin, events):
    post = publish("Going away")
    client.patch(f"/v1/posts/{post['slug']}", json={"status": "draft"}, headers=admin)
    assert client.get(f"/v1/posts/{post['slug']}").status_code == 404
    assert events()[-1][0] == "post.unpublished"


def test_staff_lists_drafts_by_status(client, admin, author, make_token):
    client.post("/v1/posts", json={"title": "Draft", "author": author["slug"]}, headers=admin)
    drafts = client.get("/v1/posts?status=draft", headers=admin)
    assert [p["title"] for p in drafts.get_json()["items"]] == ["Draft"]
    assert drafts.headers["Cache-Control"] == "private, no-store"
    assert "body" in drafts.get_json()["items"][0]
    # The public never sees drafts, whatever it asks for.
    assert client.get("/v1/posts?status=draft").get_json()["items"] == []
    moderator = bearer(make_token("moderator"))
    assert client.get("/v1/posts?status=draft", headers=moderator).get_json()["items"] == []


def test_new_tag_names_create_tags_once(client, publish, events):
    publish("One", tags=["Deep Learning", "deep-learning"])
    publish("Two", tags=["deep learning"])
    tags = client.get("/v1/tags").get_json()["items"]
    assert [(t["slug"], t["post_count"]) for t in tags] == [("deep-learning", 2)]
    assert len(events("tag.created")) == 1


def test_event_payloads_describe_the_post(client, publish, events):
    post = publish("Evented", tags=["Ev"])
    kind, data = events()[-1]
    assert kind == "post.published"
    assert data["post"]["slug"] == post["slug"]
    assert data["post"]["tags"] == ["ev"]
    assert data["post"]["author"] == "ada-lovelace"


def test_renaming_a_post_to_a_taken_slug_is_a_409_and_changes_nothing(client, admin, publish):
    publish("First", slug="first")
    second = publish("Second", slug="second")
    for changes in ({"slug": "first"}, {"slug": "first", "tags": ["new-tag"], "title": "Moved"}):
        response = client.patch("/v1/posts/second", json=changes, headers=admin)
        assert response.status_code == 409, response.get_json()
        assert response.mimetype == "application/problem+json"
        assert "first" in response.get_json()["detail"]
    after = client.get("/v1/posts/second", headers=admin).get_json()
    assert after["title"] == "Second" and after["updated_at"] == second["updated_at"]
    assert client.get("/v1/tags/new-tag").status_code == 404
