"""The app's public reads carry the CDN headers (keys and lifetimes); staff reads never."""

from __future__ import annotations

from dataclasses import replace

import pytest

from api.app import create_app
from api.infra.database import db

LIFETIME = "max-age=3600, stale-while-revalidate=60"
CDN_HEADERS = ("Surrogate-Key", "Surrogate-Control", "CDN-Cache-Control", "Cache-Tag")


def test_a_public_post_names_its_keys_and_gives_caches_their_lifetime(client, publish):
    post = publish("Keyed", tags=["alpha"])
    path = f"/v1/posts/{post['slug']}"
    tag_id = post["tags"][0]["id"]
    for read in (client.get(path), client.get(path)):  # built, then a hit of the front
        assert read.status_code == 200
        assert read.headers["Surrogate-Key"] == (
            f"post:{post['id']} author:{post['author']['id']} tag:{tag_id}"
        )
        assert read.headers["Surrogate-Control"] == LIFETIME
        assert read.headers["CDN-Cache-Control"] == LIFETIME
        assert read.headers["Cache-Control"] == "public, max-age=60"  # browsers: a minute
        assert "Cache-Tag" not in read.headers
        assert "s-maxage" not in read.headers["Cache-Control"]


def test_collections_and_threads_name_theirs(client, publish):
    post = publish("Listed")
    listed = client.get("/v1/posts")
    assert listed.headers["Surrogate-Key"].split()[:2] == ["posts", f"post:{post['id']}"]
    thread = client.get(f"/v1/posts/{post['slug']}/comments")
    assert thread.headers["Surrogate-Key"] == f"comments:{post['id']}"
    assert client.get("/v1/tags").headers["Surrogate-Key"] == "tags"
    assert client.get("/v1/authors").headers["Surrogate-Key"].startswith("authors author:")


def test_staff_reads_and_errors_get_none(client, admin, publish):
    post = publish("Staff")
    staff = client.get(f"/v1/posts/{post['slug']}", headers=admin)
    assert staff.headers["Cache-Control"] == "private, no-store"
    assert not set(CDN_HEADERS) & set(staff.headers.keys())
    missing = client.get("/v1/posts/nothing-here")
    assert missing.status_code == 404
    assert not set(CDN_HEADERS) & set(missing.headers.keys())


@pytest.fixture
def tagged_app(app, test_settings):
    """An instance with Cache-Tag on and no response cache of its own."""
    settings = replace(test_settings, cdn_cache_tag_header=True, response_cache=False)
    other = create_app(settings, TESTING=True, QUEUE_IMMEDIATE=True)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_cache_tag_by_setting_even_without_the_response_cache(tagged_app, publish):
    post = publish("Tagged for Cloudflare")
    read = tagged_app.test_client().get(f"/v1/posts/{post['slug']}/comments")
    assert read.headers["Cache-Tag"] == f"comments:{post['id']}"
    assert read.headers["Surrogate-Key"] == f"comments:{post['id']}"
