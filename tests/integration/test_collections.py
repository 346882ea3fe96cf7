"""Collections page both ways by cursor and count themselves only when asked."""

from __future__ import annotations

import pytest

from api.demo.loader import POST_SLUG, load_demo
from api.infra.database import db


def _walk(client, url: str, headers: dict, key: str) -> tuple[list, list[list]]:
    """Forward by `next_cursor` to the end; returns the pages' keys and the last page."""
    pages, page = [], client.get(url, headers=headers).get_json()
    assert page["prev"] is None and page["prev_cursor"] is None  # the first page
    while True:
        pages.append([item[key] for item in page["items"]])
        if not page["next_cursor"]:
            return pages, page
        separator = "&" if "?" in url else "?"
        page = client.get(f"{url}{separator}cursor={page['next_cursor']}", headers=headers)
        page = page.get_json()


@pytest.fixture
def demo(app, admin, client):
    with app.app_context():
        load_demo()
        db.session.remove()
    for n in range(4):
        client.post("/v1/tags", json={"name": f"Extra {n}"}, headers=admin)
        writer = client.post("/v1/authors", json={"name": f"Writer {n}"}, headers=admin)
        post = {"title": f"Extra {n}", "author": writer.get_json()["slug"], "status": "published"}
        assert client.post("/v1/posts", json=post, headers=admin).status_code == 201


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/v1/posts?limit=1", "slug"),
        ("/v1/tags?limit=2", "slug"),
        ("/v1/authors?limit=1", "slug"),
        (f"/v1/posts/{POST_SLUG}/comments?limit=1", "id"),
        ("/v1/moderation/comments?status=approved&limit=1", "id"),
    ],
)
def test_prev_cursor_walks_back_through_the_same_pages(client, admin, demo, url, key):
    pages, last = _walk(client, url, admin, key)
    assert len(pages) >= 3, pages
    back, page = [], last
    while page["prev_cursor"]:
        assert page["prev"].endswith(f"cursor={page['prev_cursor']}")
        page = client.get(page["prev"], headers=admin).get_json()
        back.append([item[key] for item in page["items"]])
    assert back == pages[-2::-1]  # every page before the last, in reverse


def test_link_header_names_both_neighbours(client, demo):
    first = client.get("/v1/tags?limit=2")
    second = client.get(first.get_json()["next"])
    links = second.headers["Link"]
    body = second.get_json()
    assert f'<{body["next"]}>; rel="next"' in links and f'<{body["prev"]}>; rel="prev"' in links
    assert body["prev"].startswith("/v1/tags?limit=2&cursor=")
    assert 'rel="prev"' not in first.headers["Link"]


def test_a_page_back_shows_what_was_published_meanwhile(client, publish):
    for n in range(3):
        publish(f"Old {n}", published_at=f"2020-01-0{n + 1}T00:00:00Z")
    first = client.get("/v1/posts?limit=2").get_json()
    second = client.get(first["next"]).get_json()
    publish("Breaking", published_at="2021-01-01T00:00:00Z")
    back = client.get(second["prev"]).get_json()
    assert [p["title"] for p in back["items"]] == ["Old 2", "Old 1"]
    assert back["prev_cursor"]  # and the newcomer is one more page back
    newest = client.get(back["prev"]).get_json()
    assert [p["title"] for p in newest["items"]] == ["Breaking"]
    assert newest["prev_cursor"] is None


def test_total_is_exact_with_the_filters_and_only_on_request(client, admin, publish):
    for n in range(3):
        publish(f"Tagged {n}", tags=["news"])
    publish("Untagged")
    publish("Drafted", status="draft", tags=["news"])
    assert "total" not in client.get("/v1/posts").get_json()
    assert client.get("/v1/posts?count=true&limit=1").get_json()["total"] == 4
    assert client.get("/v1/posts?count=true&tag=news").get_json()["total"] == 3
    assert client.get("/v1/posts?count=false").get_json().get("total") is None
    drafts = client.get("/v1/posts?status=draft&count=true", headers=admin).get_json()
    assert drafts["total"] == 1
    refused = client.get("/v1/posts?count=yes")
    assert refused.status_code == 422 and "count" in refused.get_json()["errors"]


def test_a_backward_cursor_is_signed_like_a_forward_one(client, demo):
    second = client.get(client.get("/v1/tags?limit=2").get_json()["next"]).get_json()
    forged = second["prev_cursor"][:-2] + (
        "AA" if not second["prev_cursor"].endswith("AA") else "BB"
    )
    response = client.get(f"/v1/tags?limit=2&cursor={forged}")
    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/invalid-cursor"
