"""The Ghost Content API over HTTP, and the Content API keys admins manage: key checks,
shapes against Ghost's field sets, include/fields/formats, limit/page/order, NQL
filters through HTTP (hypothesis: never a 500), Ghost-style errors."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat import ghost_fixtures as gf

BASE = "/ghost/api/content"


@pytest.fixture
def key(client, admin) -> str:
    response = client.post("/v1/content-keys", json={"name": "frontend"}, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["key"]


@pytest.fixture
def blog(client, admin, publish):
    client.post("/v1/tags", json={"name": "News"}, headers=admin)
    client.post("/v1/tags", json={"name": "Tech"}, headers=admin)
    posts = [
        publish("First post", tags=["News"], published_at="2024-01-01T10:00:00Z"),
        publish("Second post", tags=["Tech"], published_at="2024-02-01T10:00:00Z", featured=True),
        publish("Third post", tags=["News", "Tech"], published_at="2024-03-01T10:00:00Z"),
    ]
    publish("A draft", status="draft")
    return posts


def test_keys_are_ghost_shaped_listed_without_their_value_and_revocable(client, admin, key):
    assert re.fullmatch(r"[0-9a-f]{26}", key)
    listed = client.get("/v1/content-keys", headers=admin).get_json()["items"]
    assert [item["hint"] for item in listed] == [key[-4:]]
    assert key not in str(listed)
    assert client.get("/v1/content-keys").status_code == 401
    assert client.get(f"{BASE}/settings/?key={key}").status_code == 200
    revoked = client.delete(f"/v1/content-keys/{listed[0]['id']}", headers=admin)
    assert revoked.status_code == 204
    after = client.get(f"{BASE}/settings/?key={key}")
    assert after.status_code == 401
    assert after.get_json()["errors"][0]["type"] == "UnauthorizedError"


def test_missing_and_unknown_keys_as_ghost_answers(client, blog):
    missing = client.get(f"{BASE}/posts/")
    assert missing.status_code == 403
    error = missing.get_json()["errors"][0]
    assert {k: v for k, v in error.items() if k != "id"} == gf.NO_KEY_ERROR
    unknown = client.get(f"{BASE}/posts/?key={'0' * 26}")
    assert unknown.status_code == 401


def test_browse_posts_with_includes_and_pagination(client, key, blog):
    response = client.get(
        f"{BASE}/posts/?key={key}&include=tags,authors&limit=2",
        headers={"Accept-Version": "v5.0"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Version"] == "v5.0"
    body = response.get_json()
    assert [post["title"] for post in body["posts"]] == ["Third post", "Second post"]
    assert set(body["posts"][0]) == gf.POST_KEYS | {
        "tags",
        "primary_tag",
        "authors",
        "primary_author",
    }
    assert [tag["slug"] for tag in body["posts"][0]["tags"]] == ["news", "tech"]
    assert body["posts"][0]["primary_author"]["slug"] == blog[0]["author"]["slug"]
    assert body["meta"]["pagination"] == {
        "page": 1, "limit": 2, "pages": 2, "total": 3, "next": 2, "prev": None,
    }  # fmt: skip
    second = client.get(f"{BASE}/posts/?key={key}&limit=2&page=2").get_json()
    assert [post["title"] for post in second["posts"]] == ["First post"]
    everything = client.get(f"{BASE}/posts/?key={key}&limit=all").get_json()
    assert everything["meta"]["pagination"]["limit"] == "all"
    assert len(everything["posts"]) == 3


def test_fields_formats_and_order(client, key, blog):
    body = client.get(f"{BASE}/posts/?key={key}&fields=title,slug&formats=plaintext").get_json()
    assert set(body["posts"][0]) == {"title", "slug"}
    plain = client.get(f"{BASE}/posts/?key={key}&formats=plaintext,html").get_json()
    assert "plaintext" in plain["posts"][0] and "html" in plain["posts"][0]
    ordered = client.get(f"{BASE}/posts/?key={key}&order=title%20asc").get_json()
    assert [post["title"] for post in ordered["posts"]] == [
        "First post",
        "Second post",
        "Third post",
    ]
    bad = client.get(f"{BASE}/posts/?key={key}&order=nonsense%20asc")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["type"] == "ValidationError"


@pytest.mark.parametrize(
    ("nql", "titles"),
    [
        ("tag:news", {"First post", "Third post"}),
        ("tags:[news,tech]", {"First post", "Second post", "Third post"}),
        ("tag:news+tag:tech", {"Third post"}),
        ("tag:-news", {"Second post"}),
        ("featured:true", {"Second post"}),
        ("published_at:>'2024-01-15'", {"Second post", "Third post"}),
        ("slug:first-post,slug:second-post", {"First post", "Second post"}),
        ("author:nobody", set()),
        ("slug:'x\\' OR 1=1; DROP TABLE posts'", set()),
    ],
)
def test_filters(client, key, blog, nql, titles):
    response = client.get(f"{BASE}/posts/", query_string={"key": key, "filter": nql})
    assert response.status_code == 200, response.get_json()
    assert {post["title"] for post in response.get_json()["posts"]} == titles


def test_invalid_filters_are_ghost_style_400s(client, key):
    for nql in ("tag:", "title:x", "tag:'news", "published_at:>nonsense", "((("):
        response = client.get(f"{BASE}/posts/", query_string={"key": key, "filter": nql})
        assert response.status_code == 400, nql
        error = response.get_json()["errors"][0]
        assert error["type"] == "BadRequestError" and error["message"] == "Error parsing filter"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.sampled_from(list("tagslugid:-+,[]()'\"<>=!~ $%_news2024featuredtrue")),
        max_size=40,
    )
)
def test_no_filter_makes_a_500(client, key, nql):
    response = client.get(f"{BASE}/posts/", query_string={"key": key, "filter": nql})
    assert response.status_code in (200, 400), (nql, response.get_json())
    if response.status_code == 400:
        assert response.get_json()["errors"][0]["type"] == "BadRequestError"


def test_reads_by_id_and_slug(client, key, blog):
    listed = client.get(f"{BASE}/posts/?key={key}").get_json()["posts"]
    first = listed[0]
    by_id = client.get(f"{BASE}/posts/{first['id']}/?key={key}").get_json()
    assert by_id == {"posts": [first]}
    by_slug = client.get(f"{BASE}/posts/slug/{first['slug']}/?key={key}").get_json()
    assert by_slug == {"posts": [first]}
    missing = client.get(f"{BASE}/posts/slug/nothing-here/?key={key}")
    assert missing.status_code == 404
    assert missing.get_json()["errors"][0]["type"] == "NotFoundError"
    assert client.get(f"{BASE}/posts/{'f' * 24}/?key={key}").status_code == 404


def test_authors_tags_pages_and_settings(client, key, blog):
    authors = client.get(f"{BASE}/authors/?key={key}&include=count.posts").get_json()
    assert set(authors["authors"][0]) == gf.AUTHOR_KEYS | {"count"}
    assert authors["authors"][0]["count"] == {"posts": 3}
    tags = client.get(f"{BASE}/tags/?key={key}&include=count.posts&order=count.posts%20desc")
    tags = tags.get_json()["tags"]
    assert set(tags[0]) == gf.TAG_KEYS | {"count"}
    assert {tag["slug"]: tag["count"]["posts"] for tag in tags} == {"news": 2, "tech": 2}
    one_tag = client.get(f"{BASE}/tags/slug/news/?key={key}").get_json()
    assert one_tag["tags"][0]["name"] == "News"
    filtered = client.get(f"{BASE}/tags/", query_string={"key": key, "filter": "slug:tech"})
    assert [tag["slug"] for tag in filtered.get_json()["tags"]] == ["tech"]
    assert client.get(f"{BASE}/pages/?key={key}").get_json()["pages"] == []
    settings_body = client.get(f"{BASE}/settings/?key={key}").get_json()
    assert set(settings_body["settings"]) == gf.SETTINGS_KEYS
    assert client.get(f"{BASE}/nothing/?key={key}").status_code == 404


def test_an_edit_shows_through_all_three_apis(client, admin, key, blog):
    """Cached reads of /v1, /wp-json and /ghost/api are all invalidated by one edit."""
    post = blog[0]
    urls = {
        "v1": f"/v1/posts/{post['slug']}",
        "wp": f"/wp-json/wp/v2/posts/{post['id']}",
        "ghost": f"{BASE}/posts/slug/{post['slug']}/?key={key}",
    }

    def titles() -> dict[str, str]:
        v1 = client.get(urls["v1"]).get_json()["title"]
        wp = client.get(urls["wp"]).get_json()["title"]["rendered"]
        ghost = client.get(urls["ghost"]).get_json()["posts"][0]["title"]
        return {"v1": v1, "wp": wp, "ghost": ghost}

    assert titles() == dict.fromkeys(urls, "First post")
    assert titles() == dict.fromkeys(urls, "First post")  # now answered from the cache
    edited = client.patch(f"/v1/posts/{post['slug']}", json={"title": "Edited"}, headers=admin)
    assert edited.status_code == 200
    assert titles() == dict.fromkeys(urls, "Edited")


def test_cached_answers_keep_the_paging_and_version_headers(client, key, blog, monkeypatch):
    from api.content import listing

    urls = (
        ("/wp-json/wp/v2/posts?per_page=1", "X-WP-TotalPages"),
        (f"{BASE}/posts/?key={key}", "Content-Version"),
    )
    firsts = [client.get(url) for url, _ in urls]

    def unread(*args, **kwargs):
        raise AssertionError("a cached answer reads nothing")

    monkeypatch.setattr(listing, "list_content", unread)
    for first, (url, header) in zip(firsts, urls, strict=True):
        again = client.get(url)
        assert again.status_code == 200 and first.headers["ETag"] == again.headers["ETag"]
        assert again.headers[header] == first.headers[header], url
        assert again.headers["Link" if "wp-json" in url else header]


def test_filter_by_ghost_id_and_negation(client, key, blog):
    posts = client.get(f"{BASE}/posts/?key={key}&order=title%20asc").get_json()["posts"]
    first = posts[0]
    by_id = client.get(f"{BASE}/posts/", query_string={"key": key, "filter": f"id:{first['id']}"})
    assert [post["title"] for post in by_id.get_json()["posts"]] == ["First post"]
    others = client.get(
        f"{BASE}/posts/", query_string={"key": key, "filter": f"id:-{first['id']}+featured:false"}
    )
    assert [post["title"] for post in others.get_json()["posts"]] == ["Third post"]
    other_kind = first["id"].replace("01", "04", 1)  # a tag's id: matches no post
    none = client.get(f"{BASE}/posts/", query_string={"key": key, "filter": f"id:{other_kind}"})
    assert none.status_code == 200 and none.get_json()["posts"] == []
