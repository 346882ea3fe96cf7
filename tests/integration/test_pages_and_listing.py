"""Pages, sorting, filters of several slugs and old-slug redirects, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from api.content.tasks import publish_due_posts


@pytest.fixture
def page(client, admin, author):
    def create(title: str = "About", **fields) -> dict:
        payload = {"title": title, "author": author["slug"], "status": "published", **fields}
        response = client.post("/v1/pages", json=payload, headers=admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create


# --- pages -----------------------------------------------------------------------------


def test_pages_live_apart_from_posts_with_their_own_events(client, admin, page, publish, events):
    post = publish("A post")
    about = page("About us", body="Who we are.")
    assert about["comments_open"] is False
    response = client.get("/v1/pages")
    assert response.status_code == 200
    assert [p["slug"] for p in response.get_json()["items"]] == [about["slug"]]
    assert [p["slug"] for p in client.get("/v1/posts").get_json()["items"]] == [post["slug"]]
    assert client.get(f"/v1/posts/{about['slug']}").status_code == 404
    assert client.get(f"/v1/pages/{post['slug']}").status_code == 404
    read = client.get(f"/v1/pages/{about['slug']}")
    assert read.status_code == 200 and read.get_json()["body_html"] == "<p>Who we are.</p>\n"
    assert client.head(f"/v1/pages/{about['slug']}").headers["ETag"] == read.headers["ETag"]

    etag = client.get(f"/v1/pages/{about['slug']}", headers=admin).headers["ETag"]
    changed = client.patch(
        f"/v1/pages/{about['slug']}",
        json={"title": "About", "featured": True},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.get_json()
    stale = client.patch(
        f"/v1/pages/{about['slug']}", json={"title": "x"}, headers={**admin, "If-Match": etag}
    )
    assert stale.status_code == 412
    assert client.patch(f"/v1/pages/{about['slug']}", json={"status": "draft"}, headers=admin)
    assert client.get(f"/v1/pages/{about['slug']}").status_code == 404
    assert client.delete(f"/v1/pages/{about['slug']}", headers=admin).status_code == 204
    page_events = events("page.")
    assert [kind for kind, _ in page_events] == [
        "page.published",
        "page.updated",
        "page.unpublished",
        "page.deleted",
    ]
    assert all(set(data) >= {"page"} and "post" not in data for _, data in page_events)
    assert page_events[1][1]["page"]["featured"] is True
    assert [kind for kind, _ in events("post.")] == ["post.published"]


def test_a_page_takes_comments_only_when_opened(client, admin, page):
    closed = page("Closed")
    comment = {"body": "Hello", "author_name": "Ana", "author_email": "ana@example.org"}
    refused = client.post(f"/v1/posts/{closed['slug']}/comments", json=comment)
    assert refused.status_code == 403
    opened = page("Guestbook", comments_open=True)
    assert client.post(f"/v1/posts/{opened['slug']}/comments", json=comment).status_code == 202


def test_slugs_are_unique_across_posts_and_pages(client, admin, author, page, publish):
    post = publish("Contact")
    taken = client.post(
        "/v1/pages",
        json={"title": "Contact", "slug": post["slug"], "author": author["slug"]},
        headers=admin,
    )
    assert taken.status_code == 409 and taken.mimetype == "application/problem+json"
    generated = page("Contact")
    assert generated["slug"] == "contact-2"


def test_a_scheduled_page_is_published_by_the_worker_as_a_page(app, client, page, events):
    due = datetime.now(UTC) + timedelta(seconds=2)
    scheduled = page("Soon", status="scheduled", published_at=due.isoformat())
    assert client.get(f"/v1/pages/{scheduled['slug']}").status_code == 404
    with app.app_context():
        from api.infra.database import db

        db.session.execute(
            db.text("UPDATE posts SET published_at = :when WHERE slug = :slug"),
            {"when": datetime.now(UTC) - timedelta(seconds=1), "slug": scheduled["slug"]},
        )
        db.session.commit()
        db.session.remove()
    with app.app_context():
        assert publish_due_posts() == 1
    assert client.get(f"/v1/pages/{scheduled['slug']}").status_code == 200
    assert [kind for kind, _ in events("page.")] == ["page.scheduled", "page.published"]


def test_pages_are_not_counted_as_an_authors_or_tags_posts(client, page, publish, author):
    publish("Tagged post", tags=["news"])
    page("Tagged page", tags=["news"])
    assert client.get("/v1/tags/news").get_json()["post_count"] == 1
    assert client.get(f"/v1/authors/{author['slug']}").get_json()["post_count"] == 1


# --- sorting ---------------------------------------------------------------------------


@pytest.fixture
def five_posts(client, admin, publish):
    base = datetime(2024, 1, 1, tzinfo=UTC)
    titles = ["delta", "Alpha", "charlie", "bravo", "echo"]
    made = []
    for number, title in enumerate(titles):
        # Two share a publication time: the id orders them.
        when = base + timedelta(days=min(number, 3))
        made.append(publish(title, published_at=when.isoformat()))
    # Edited in another order, so updated_at differs from published_at.
    edited = [made[2], made[0], made[4], made[1], made[3]]
    for post in edited:
        client.patch(f"/v1/posts/{post['slug']}", json={"body": "edited"}, headers=admin)
    return made, [post["slug"] for post in edited]


def _walk(client, url: str, headers=None) -> list[dict]:
    seen = []
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, (url, response.get_json())
        body = response.get_json()
        seen += body["items"]
        if body["next"]:
            assert f'<{body["next"]}>; rel="next"' in response.headers["Link"].split(", ")
        url = body["next"]
    return seen


@pytest.mark.parametrize(
    "sort", ["published_at", "-published_at", "updated_at", "-updated_at", "title", "-title"]
)
def test_every_sort_pages_through_every_post_once_in_order(client, five_posts, sort):
    items = _walk(client, f"/v1/posts?limit=2&sort={sort}")
    assert len(items) == 5 and len({p["slug"] for p in items}) == 5
    column, descending = sort.lstrip("-"), sort.startswith("-")
    if column == "updated_at":  # shown to the second; stored finer, in the edits' order
        _, edited = five_posts
        assert [p["slug"] for p in items] == (edited[::-1] if descending else edited)
        return
    keys = [(p[column].lower() if column == "title" else p[column], p["id"]) for p in items]
    assert keys == sorted(keys, reverse=descending)


def test_staff_sort_drafts_by_title_but_not_by_publication(client, admin, author, five_posts):
    client.post("/v1/posts", json={"title": "Able draft", "author": author["slug"]}, headers=admin)
    drafts = _walk(client, "/v1/posts?status=any&sort=title&limit=4", admin)
    assert [p["title"] for p in drafts][:2] == ["Able draft", "Alpha"]
    refused = client.get("/v1/posts?status=draft&sort=published_at", headers=admin)
    assert refused.status_code == 422 and "sort" in refused.get_json()["errors"]


def test_a_cursor_of_one_order_is_refused_by_another(client, five_posts):
    cursor = client.get("/v1/posts?limit=1&sort=title").get_json()["next"].split("cursor=")[1]
    response = client.get(f"/v1/posts?limit=1&sort=-updated_at&cursor={cursor}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_unknown_sort_is_a_422(client):
    response = client.get("/v1/posts?sort=comment_count")
    assert response.status_code == 422 and "sort" in response.get_json()["errors"]


# --- filters of several slugs ----------------------------------------------------------


def test_tags_any_or_all_authors_any_and_featured(client, admin, publish):
    other = client.post("/v1/authors", json={"name": "Grace"}, headers=admin).get_json()
    both = publish("Both", tags=["red", "blue"], featured=True)
    red = publish("Red", tags=["red"])
    blue = publish("Blue", tags=["blue"], author=other["slug"])
    publish("Green", tags=["green"])

    def slugs(query: str) -> set[str]:
        response = client.get(f"/v1/posts?{query}")
        assert response.status_code == 200, (query, response.get_json())
        return {p["slug"] for p in response.get_json()["items"]}

    assert slugs("tag=red,blue") == {both["slug"], red["slug"], blue["slug"]}
    assert slugs("tag=red%2Bblue") == {both["slug"]}  # an encoded +
    assert slugs("tag=red+blue") == {both["slug"]}  # a + the query string made a space
    assert slugs("tag=red+blue+green") == set()
    assert slugs("tag=red,nothing") == {both["slug"], red["slug"]}
    assert slugs(f"author=ada-lovelace,{other['slug']}") == slugs("") - set()
    assert slugs(f"author={other['slug']}") == {blue["slug"]}
    assert slugs("featured=true") == {both["slug"]}
    assert slugs("featured=false") == slugs("") - {both["slug"]}
    assert slugs("featured=true&tag=red,blue&sort=title") == {both["slug"]}
    for query in ("tag=red,blue+green", "tag=,red", "author=a+b", "featured=yes"):
        refused = client.get(f"/v1/posts?{query}")
        assert refused.status_code == 422, query
        assert refused.mimetype == "application/problem+json"


def test_many_tags_paginate_with_a_filter_of_all(client, publish):
    made = [publish(f"Post {n}", tags=["x", "y"]) for n in range(5)]
    publish("Only x", tags=["x"])
    items = _walk(client, "/v1/posts?limit=2&tag=x%2By&sort=title")
    assert [p["slug"] for p in items] == sorted(p["slug"] for p in made)


# --- old slugs -------------------------------------------------------------------------


def test_an_old_slug_answers_301_to_the_current_one(client, admin, publish):
    post = publish("First name")
    client.patch(f"/v1/posts/{post['slug']}", json={"slug": "second-name"}, headers=admin)
    client.patch("/v1/posts/second-name", json={"slug": "third-name"}, headers=admin)
    for old in (post["slug"], "second-name"):
        moved = client.get(f"/v1/posts/{old}?fields=title")
        assert moved.status_code == 301
        assert moved.headers["Location"] == "/v1/posts/third-name?fields=title"
    followed = client.get(f"/v1/posts/{post['slug']}", follow_redirects=True)
    assert followed.status_code == 200 and followed.get_json()["slug"] == "third-name"
    # Taking an old slug back makes it current again: no redirect from it.
    client.patch("/v1/posts/third-name", json={"slug": post["slug"]}, headers=admin)
    assert client.get(f"/v1/posts/{post['slug']}").status_code == 200
    assert client.get("/v1/posts/third-name").headers["Location"] == f"/v1/posts/{post['slug']}"
    # Writes never follow a redirect.
    assert (
        client.patch("/v1/posts/second-name", json={"title": "x"}, headers=admin).status_code == 404
    )


def test_an_old_slug_of_a_draft_redirects_only_staff(client, admin, publish, author):
    draft = client.post(
        "/v1/posts", json={"title": "Draft", "author": author["slug"]}, headers=admin
    ).get_json()
    client.patch(f"/v1/posts/{draft['slug']}", json={"slug": "renamed-draft"}, headers=admin)
    assert client.get(f"/v1/posts/{draft['slug']}").status_code == 404
    assert client.get(f"/v1/posts/{draft['slug']}", headers=admin).status_code == 301


def test_a_new_post_on_an_old_slug_wins(client, admin, publish):
    first = publish("Shared")
    client.patch(f"/v1/posts/{first['slug']}", json={"slug": "moved-on"}, headers=admin)
    second = publish("Shared")
    assert second["slug"] == first["slug"]
    assert client.get(f"/v1/posts/{first['slug']}").get_json()["id"] == second["id"]


def test_old_page_slugs_redirect_within_pages(client, admin, page):
    about = page("About")
    client.patch(f"/v1/pages/{about['slug']}", json={"slug": "who-we-are"}, headers=admin)
    moved = client.get(f"/v1/pages/{about['slug']}")
    assert moved.status_code == 301 and moved.headers["Location"] == "/v1/pages/who-we-are"
    assert client.get(f"/v1/posts/{about['slug']}").status_code == 404


def test_unicode_old_slugs_redirect(client, admin, publish):
    post = publish("Grüße aus Köln")
    client.patch(f"/v1/posts/{post['slug']}", json={"slug": "köln"}, headers=admin)
    moved = client.get(f"/v1/posts/{quote(post['slug'])}")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"/v1/posts/{quote('köln')}"
