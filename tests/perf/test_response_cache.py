"""The response cache: fast anonymous reads that are never stale after a write."""

from api.cache.responses import response_cache
from api.content import services
from api.content.taxonomy import tags
from api.demo.loader import SYSTEM


def _cache(app):
    return response_cache(app)


def test_a_repeated_anonymous_read_is_answered_from_the_cache(app, client, publish):
    publish("Cached")
    first = client.get("/v1/posts?include=author,tags")
    hits = _cache(app).hits
    second = client.get("/v1/posts?include=author,tags")
    assert _cache(app).hits == hits + 1
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == "application/json"
    assert second.headers["Cache-Control"].startswith("public")
    assert second.headers["X-Request-ID"]


def test_a_hit_with_the_clients_etag_is_a_304(client, publish):
    post = publish("Conditional")
    first = client.get(f"/v1/posts/{post['slug']}")
    etag = first.headers["ETag"]
    again = client.get(f"/v1/posts/{post['slug']}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_a_write_through_the_api_is_seen_by_the_next_read(client, admin, publish):
    post = publish("Before")
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["title"] == "Before"
    listed = client.get("/v1/posts")
    client.patch(f"/v1/posts/{post['slug']}", json={"title": "After"}, headers=admin)
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["title"] == "After"
    relisted = client.get("/v1/posts", headers={"If-None-Match": listed.headers["ETag"]})
    assert relisted.status_code == 200
    assert relisted.get_json()["items"][0]["title"] == "After"


def test_a_write_by_another_process_is_seen_too(client, publish, in_unit_of_work):
    """No in-process hook is needed: the new events and their keys are read from the database."""
    publish("Tagged", tags=["alpha"])
    assert client.get("/v1/tags/alpha").get_json()["name"] == "alpha"
    # As another worker would, straight through the services.
    in_unit_of_work(tags.update, SYSTEM, "alpha", {"name": "Alpha"}, None)
    assert client.get("/v1/tags/alpha").get_json()["name"] == "Alpha"


def test_unpublishing_removes_the_post_from_cached_reads(client, publish, in_unit_of_work):
    post = publish("Soon gone")
    assert client.get(f"/v1/posts/{post['slug']}").status_code == 200
    assert len(client.get("/v1/posts").get_json()["items"]) == 1
    in_unit_of_work(services.update_post, SYSTEM, post["slug"], {"status": "draft"}, None)
    assert client.get(f"/v1/posts/{post['slug']}").status_code == 404
    assert client.get("/v1/posts").get_json()["items"] == []


def test_staff_reads_are_never_served_from_the_anonymous_cache(client, admin, publish):
    post = publish("Staff view")
    assert "body" not in client.get(f"/v1/posts/{post['slug']}").get_json()
    staff = client.get(f"/v1/posts/{post['slug']}", headers=admin)
    assert staff.get_json()["body"] == "Some *text*."
    assert staff.headers["Cache-Control"] == "private, no-store"
    assert "body" not in client.get(f"/v1/posts/{post['slug']}").get_json()


def test_errors_are_not_cached(client, publish):
    assert client.get("/v1/posts/later").status_code == 404
    publish("Later", slug="later")
    assert client.get("/v1/posts/later").status_code == 200


def test_the_cache_can_be_switched_off(test_settings):
    from dataclasses import replace

    from flask import Flask

    from api.cache import responses as cache

    bare = Flask("off")
    bare.config["MARGINALIA"] = replace(test_settings, response_cache=False)
    cache.init_app(bare)
    assert response_cache(bare) is None
    assert not bare.before_request_funcs
