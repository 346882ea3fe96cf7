"""The WordPress REST API over HTTP: routes in both forms, list arguments, paging
headers, discovery, shapes against what WordPress sends, `_embed`/`_fields`/
`_envelope`, and comment submission into our intake and moderation queue."""

from __future__ import annotations

import pytest

from tests.compat import wordpress_fixtures as wp


@pytest.fixture
def blog(client, admin, publish):
    client.post("/v1/tags", json={"name": "News"}, headers=admin)
    first = publish("First post", tags=["News"], published_at="2024-01-01T10:00:00Z")
    second = publish("Second post", published_at="2024-02-01T10:00:00Z")
    third = publish("Third post", tags=["News"], published_at="2024-03-01T10:00:00Z")
    publish("A draft", status="draft")
    return {"posts": [first, second, third]}


def test_the_index_and_discovery_in_both_forms(client):
    for url in ("/wp-json/", "/wp-json", "/?rest_route=/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'rel="https://api.w.org/"' in response.headers["Link"]
        body = response.get_json()
        assert "wp/v2" in body["namespaces"]
        assert "/wp/v2/posts" in body["routes"]
        assert set(wp.INDEX_TOP) <= set(body)


def test_posts_as_wordpress_sends_them_and_drafts_stay_hidden(client, blog):
    response = client.get("/wp-json/wp/v2/posts")
    assert response.status_code == 200
    posts = response.get_json()
    assert [post["title"]["rendered"] for post in posts] == [
        "Third post",
        "Second post",
        "First post",
    ]
    assert set(posts[0]) == set(wp.POST)
    assert response.headers["X-WP-Total"] == "3"
    assert response.headers["X-WP-TotalPages"] == "1"
    assert posts[0]["author"] == blog["posts"][0]["author"]["id"]
    assert posts[0]["content"]["protected"] is False


def test_paging_headers_and_links(client, blog):
    response = client.get("/wp-json/wp/v2/posts?per_page=2")
    assert response.headers["X-WP-Total"] == "3"
    assert response.headers["X-WP-TotalPages"] == "2"
    assert 'rel="next"' in response.headers["Link"] and "page=2" in response.headers["Link"]
    second = client.get("/wp-json/wp/v2/posts?per_page=2&page=2")
    assert [post["title"]["rendered"] for post in second.get_json()] == ["First post"]
    assert 'rel="prev"' in second.headers["Link"]
    past = client.get("/wp-json/wp/v2/posts?per_page=2&page=3")
    assert past.status_code == 400
    assert past.get_json()["code"] == "rest_post_invalid_page_number"
    offset = client.get("/wp-json/wp/v2/posts?offset=1&per_page=1").get_json()
    assert [post["title"]["rendered"] for post in offset] == ["Second post"]
    assert client.get("/wp-json/wp/v2/posts?per_page=101").status_code == 400


def test_exposed_to_browsers(client, blog):
    response = client.get("/wp-json/wp/v2/posts", headers={"Origin": "https://front.example"})
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-WP-Total" in exposed and "X-WP-TotalPages" in exposed and "Link" in exposed


def test_list_arguments(client, blog):
    tag = client.get("/wp-json/wp/v2/tags?slug=news").get_json()[0]
    tagged = client.get(f"/wp-json/wp/v2/posts?tags={tag['id']}").get_json()
    assert {p["title"]["rendered"] for p in tagged} == {"First post", "Third post"}
    array_form = client.get(f"/wp-json/wp/v2/posts?categories[]={tag['id']}").get_json()
    assert len(array_form) == 2
    ids = [post["id"] for post in blog["posts"]]
    included = client.get(f"/wp-json/wp/v2/posts?include={ids[0]},{ids[1]}").get_json()
    assert {p["id"] for p in included} == {ids[0], ids[1]}
    excluded = client.get(f"/wp-json/wp/v2/posts?exclude={ids[0]}").get_json()
    assert ids[0] not in {p["id"] for p in excluded}
    by_slug = client.get(f"/wp-json/wp/v2/posts?slug={blog['posts'][1]['slug']}").get_json()
    assert [p["id"] for p in by_slug] == [ids[1]]
    after = client.get("/wp-json/wp/v2/posts?after=2024-01-15T00:00:00").get_json()
    assert len(after) == 2
    oldest = client.get("/wp-json/wp/v2/posts?order=asc&orderby=date").get_json()
    assert oldest[0]["title"]["rendered"] == "First post"
    by_author = client.get(f"/wp-json/wp/v2/posts?author={blog['posts'][0]['author']['id']}")
    assert len(by_author.get_json()) == 3
    assert client.get("/wp-json/wp/v2/posts?author=999").get_json() == []
    staff_only = client.get("/wp-json/wp/v2/posts?status=draft")
    assert staff_only.status_code == 400 and staff_only.get_json()["code"] == "rest_invalid_param"
    assert client.get("/wp-json/wp/v2/posts?tags=abc").status_code == 400


def test_items_users_terms_and_unknown_ids(client, blog):
    post = blog["posts"][0]
    one = client.get(f"/wp-json/wp/v2/posts/{post['id']}")
    assert one.status_code == 200 and one.get_json()["slug"] == post["slug"]
    assert client.get("/wp-json/wp/v2/posts/99999").get_json()["code"] == "rest_post_invalid_id"
    assert client.get("/wp-json/wp/v2/nothing").get_json()["code"] == "rest_no_route"
    user = client.get(f"/wp-json/wp/v2/users/{post['author']['id']}").get_json()
    assert set(user) == set(wp.USER)
    assert "email" not in user
    tags = client.get("/wp-json/wp/v2/tags").get_json()
    assert set(tags[0]) == set(wp.TAG)
    categories = client.get("/wp-json/wp/v2/categories").get_json()
    assert set(categories[0]) == set(wp.CATEGORY)
    assert client.get("/wp-json/wp/v2/pages").get_json() == []
    assert client.get("/wp-json/wp/v2/media").get_json() == []


def test_rest_route_form_writes_links_in_its_own_form(client, blog):
    post = blog["posts"][0]
    body = client.get(f"/?rest_route=/wp/v2/posts/{post['id']}").get_json()
    assert body["_links"]["self"][0]["href"].endswith(f"?rest_route=/wp/v2/posts/{post['id']}")


def test_embed_fields_and_envelope(client, blog):
    post = blog["posts"][2]
    body = client.get(f"/wp-json/wp/v2/posts/{post['id']}?_embed").get_json()
    assert body["_embedded"]["author"][0]["slug"] == post["author"]["slug"]
    terms = body["_embedded"]["wp:term"]
    assert [term["slug"] for term in terms[1]] == ["news"]
    narrowed = client.get(
        f"/wp-json/wp/v2/posts/{post['id']}?_embed=author&_fields=title,author"
    ).get_json()
    assert set(narrowed) == {"title", "author", "_links", "_embedded"}
    assert set(narrowed["_embedded"]) == {"author"}
    nested = client.get(f"/wp-json/wp/v2/posts/{post['id']}?_fields=title.rendered,id").get_json()
    assert nested == {"id": post["id"], "title": {"rendered": "Third post"}}
    wrapped = client.get("/wp-json/wp/v2/posts/99999?_envelope").get_json()
    assert wrapped["status"] == 404 and wrapped["body"]["code"] == "rest_post_invalid_id"


def _comment(client, post_id: int, **fields):
    payload = {
        "post": post_id,
        "content": "A thoughtful reply.",
        "author_name": "Reader",
        "author_email": "reader@example.org",
        **fields,
    }
    return client.post("/wp-json/wp/v2/comments", json=payload)


def test_a_comment_form_lands_in_the_moderation_queue(client, admin, blog):
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    post = blog["posts"][0]
    response = _comment(client, post["id"])
    assert response.status_code == 201, response.get_json()
    comment = response.get_json()
    assert comment["post"] == post["id"]
    assert comment["status"] in ("hold", "approved")
    assert set(wp.COMMENT) <= set(comment) | {"meta"}
    queue = client.get("/v1/moderation/comments?status=pending", headers=admin).get_json()
    if comment["status"] == "hold":
        assert comment["id"] in [item["id"] for item in queue["items"]]
    # Every rule still applies: the same words again are a duplicate.
    again = _comment(client, post["id"])
    assert again.status_code == 409 and again.get_json()["code"] == "comment_duplicate"
    assert _comment(client, 99999).status_code == 404
    assert _comment(client, post["id"], content="").get_json()["code"] == (
        "rest_comment_content_invalid"
    )
    assert _comment(client, post["id"], author=1).status_code == 403


def test_pending_comments_are_held_and_not_listed(client, admin, blog):
    client.patch(
        "/v1/settings/discussion",
        json={"flood_interval": 0, "hold_all": True},
        headers=admin,
    )
    post = blog["posts"][0]
    response = _comment(client, post["id"], content="Please moderate me.")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "hold"
    listed = client.get(f"/wp-json/wp/v2/comments?post={post['id']}").get_json()
    assert listed == []


def test_comment_rate_limits_hold_across_both_ways_in(client, admin, blog, app):
    """The per-address quota is one: comments through `/v1` and through WordPress's
    endpoint count against the same counter."""
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    post = blog["posts"][0]
    limit = int(app.config["MARGINALIA"].ratelimit_comments_ip.split("/")[0])
    through_v1 = [
        client.post(
            f"/v1/posts/{post['slug']}/comments",
            json={"body": f"Via v1, {n}.", "author_name": "R", "author_email": "r@example.org"},
        ).status_code
        for n in range(limit - 1)
    ]
    assert through_v1 == [202] * (limit - 1)
    assert _comment(client, post["id"], content="The last one allowed.").status_code == 201
    refused = _comment(client, post["id"], content="One too many.")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rest_too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1


def test_pages_and_media_as_wordpress_sends_them(client, admin, author):
    from tests.media.conftest import image_bytes
    from tests.media.test_media_api import upload

    made = client.post(
        "/v1/pages",
        json={"title": "About", "status": "published", "author": author["slug"]},
        headers=admin,
    )
    assert made.status_code == 201, made.get_json()
    pages = client.get("/wp-json/wp/v2/pages").get_json()
    assert [page["title"]["rendered"] for page in pages] == ["About"]
    assert set(pages[0]) == set(wp.PAGE)
    assert pages[0]["type"] == "page"
    image = upload(client, admin, image_bytes("PNG", 40, 30), name="dot.png").get_json()
    media = client.get(f"/wp-json/wp/v2/media/{image['id']}").get_json()
    assert set(media) == set(wp.MEDIA)
    assert media["media_type"] == "image" and media["mime_type"] == "image/png"
    assert media["media_details"]["width"] == 40
    assert client.get("/wp-json/wp/v2/media").headers["X-WP-Total"] == "1"


def test_comments_list_by_post_and_parent(client, admin, blog):
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    post = blog["posts"][0]
    first = _comment(client, post["id"], content="First.").get_json()
    if first["status"] == "hold":
        client.patch(
            f"/v1/moderation/comments/{first['id']}", json={"status": "approved"}, headers=admin
        )
    reply = _comment(client, post["id"], content="A reply.", parent=first["id"])
    assert reply.status_code == 201, reply.get_json()
    listed = client.get(f"/wp-json/wp/v2/comments?post={post['id']}").get_json()
    assert first["id"] in [c["id"] for c in listed]
    assert set(listed[0]) == set(wp.COMMENT)
    top = client.get(f"/wp-json/wp/v2/comments?post={post['id']}&parent=0").get_json()
    assert [c["id"] for c in top] == [first["id"]]
    embedded = client.get(f"/wp-json/wp/v2/posts/{post['id']}?_embed=replies").get_json()
    assert embedded["_embedded"]["replies"][0][0]["id"] in {c["id"] for c in listed}


def test_users_are_the_authors_of_published_posts(client, admin, blog):
    client.post("/v1/authors", json={"name": "Nobody Yet"}, headers=admin)
    users = client.get("/wp-json/wp/v2/users").get_json()
    assert [user["slug"] for user in users] == [blog["posts"][0]["author"]["slug"]]
    lonely = client.get("/v1/authors/nobody-yet").get_json()
    assert client.get(f"/wp-json/wp/v2/users/{lonely['id']}").status_code == 404


def test_embedded_terms_are_what_their_links_list(client, admin, publish):
    publish("Tagged", tags=["Zebra", "apple", "Mango"])
    post = client.get("/wp-json/wp/v2/posts?_embed").get_json()[0]
    for index, link in enumerate(post["_links"]["wp:term"]):
        listed = client.get(link["href"] + "&context=embed")  # the test client keeps the path
        assert post["_embedded"]["wp:term"][index] == listed.get_json()


def test_a_form_post_in_the_rest_route_form(client, admin, blog):
    client.patch("/v1/settings/discussion", json={"flood_interval": 0}, headers=admin)
    post = blog["posts"][1]
    response = client.post(
        "/?rest_route=/wp/v2/comments",
        data={
            "post": str(post["id"]),
            "content": "From a plain form.",
            "author_name": "Form Reader",
            "author_email": "form@example.org",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author_name"] == "Form Reader"
    assert "?rest_route=/wp/v2/comments/" in response.headers["Location"]
    assert client.post("/?rest_route=/wp/v2/posts", json={}).get_json()["code"] == "rest_no_route"


def test_the_site_time_zone_is_checked_at_start():
    from config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="SITE_TIMEZONE"):
        load_settings(environ={"MARGINALIA_SITE_TIMEZONE": "Mars/Olympus"})
    assert load_settings(environ={"MARGINALIA_SITE_TIMEZONE": "Asia/Tokyo"}).site_timezone


def test_wordpress_and_ghost_reads_carry_the_same_cdn_keys_as_v1(client, admin, blog):
    """A CDN purges one post's key and every API's copy of it goes (docs/cache.md)."""
    first = blog["posts"][0]
    post_key, author_key = f"post:{first['id']}", f"author:{first['author']['id']}"
    v1 = client.get(f"/v1/posts/{first['slug']}").headers["Surrogate-Key"].split()
    wp_one = client.get(f"/wp-json/wp/v2/posts/{first['id']}").headers["Surrogate-Key"].split()
    wp_list = client.get("/wp-json/wp/v2/posts").headers["Surrogate-Key"].split()
    key = client.post("/v1/content-keys", json={"name": "site"}, headers=admin).get_json()["key"]
    ghost = client.get(f"/ghost/api/content/posts/slug/{first['slug']}/?key={key}")
    assert {post_key, author_key} <= set(v1) & set(wp_one) & set(
        ghost.headers["Surrogate-Key"].split()
    )
    assert {"posts", post_key} <= set(wp_list)
    authors = client.get("/wp-json/wp/v2/users").headers["Surrogate-Key"].split()
    assert "authors" in authors and author_key in authors
    # Every approved comment on the site: no key names all of that, so no CDN lifetime.
    assert "Surrogate-Key" not in client.get("/wp-json/wp/v2/comments").headers
