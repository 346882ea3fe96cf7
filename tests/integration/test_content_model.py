"""Ghost's content fields on posts: written, read back, evented; plain-text output."""

from __future__ import annotations

import pytest

GHOST_FIELDS = {
    "feature_image": "https://images.example/cover.jpg",
    "feature_image_alt": "A harbour at dawn",
    "feature_image_caption": "Photo: Ada",
    "featured": True,
    "custom_excerpt": "Written by hand.",
    "meta_title": "Harbours — a guide",
    "meta_description": "Everything about harbours.",
    "og_image": "https://images.example/og.jpg",
    "og_title": "Harbours (og)",
    "og_description": "Shared on social sites.",
    "twitter_image": "https://images.example/tw.jpg",
    "twitter_title": "Harbours (twitter)",
    "twitter_description": "Tweeted.",
    "canonical_url": "https://elsewhere.example/harbours/",
    "visibility": "public",
}
CLEARABLE = [name for name in GHOST_FIELDS if name not in ("featured", "visibility")]


def test_every_field_round_trips_through_create_update_and_read(client, admin, publish, events):
    post = publish("Harbours", **GHOST_FIELDS)
    for name, value in GHOST_FIELDS.items():
        assert post[name] == value, name
    public = client.get(f"/v1/posts/{post['slug']}").get_json()
    listed = client.get("/v1/posts").get_json()["items"][0]
    for name, value in GHOST_FIELDS.items():
        assert public[name] == value == listed[name], name
    assert public["excerpt"] == "Written by hand."
    assert public["reading_time"] == 0  # three words and a feature image: under a minute

    changed = client.patch(
        f"/v1/posts/{post['slug']}",
        json={**dict.fromkeys(CLEARABLE), "featured": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.get_json()
    read = client.get(f"/v1/posts/{post['slug']}").get_json()
    assert all(read[name] is None for name in CLEARABLE)
    assert read["featured"] is False
    assert read["excerpt"].startswith("Some")  # generated again once the written one went

    kinds = [kind for kind, _ in events("post.")]
    assert kinds == ["post.published", "post.updated"]
    published, updated = (data["post"] for _, data in events("post."))
    for name, value in GHOST_FIELDS.items():
        assert published[name] == value, name
    assert all(updated[name] is None for name in CLEARABLE)
    assert updated["reading_time"] == 0 and updated["visibility"] == "public"


def test_the_event_feed_carries_the_fields(client, admin, publish):
    publish("Featured one", featured=True, feature_image="https://images.example/a.png")
    data = client.get("/v1/events?after=0", headers=admin).get_json()["items"][-1]["data"]
    assert data["post"]["featured"] is True
    assert data["post"]["feature_image"] == "https://images.example/a.png"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("feature_image", "javascript:alert(1)"),
        ("og_image", "not a url"),
        ("canonical_url", "ftp://files.example/x"),
        ("visibility", "members"),
        ("featured", "yes"),
        ("meta_title", "x" * 301),
        ("feature_image_alt", "x" * 192),
    ],
)
def test_bad_values_are_refused_with_the_field_named(client, admin, author, field, value):
    response = client.post(
        "/v1/posts",
        json={"title": "Refused", "author": author["slug"], field: value},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_excerpt_and_custom_excerpt_are_one_field(client, admin, publish):
    post = publish("Excerpts", excerpt="Ours")
    assert post["custom_excerpt"] == "Ours"
    both = client.patch(
        f"/v1/posts/{post['slug']}",
        json={"excerpt": "One", "custom_excerpt": "Another"},
        headers=admin,
    )
    assert both.status_code == 422 and "custom_excerpt" in both.get_json()["errors"]
    same = client.patch(
        f"/v1/posts/{post['slug']}",
        json={"excerpt": "Same", "custom_excerpt": "Same"},
        headers=admin,
    )
    assert same.get_json()["excerpt"] == same.get_json()["custom_excerpt"] == "Same"


def test_reading_time_counts_words_and_images_as_ghost_does(client, admin, publish):
    words = " ".join(["word"] * 550)  # two minutes at 275 a minute
    post = publish("Long read", body=words)
    assert post["reading_time"] == 2
    # Images add 12 s, 11 s, 10 s ...: ten images add 75 s, rounding 3.25 min to 3.
    images = "\n\n".join(f"![image {n}](https://images.example/{n}.jpg)" for n in range(10))
    changed = client.patch(
        f"/v1/posts/{post['slug']}", json={"body": words + "\n\n" + images}, headers=admin
    )
    assert changed.get_json()["reading_time"] == 3
    # The feature image counts as an image too (12 s): 130 words + 12 s is 40 s -> 1 min.
    short = publish("Short", body=" ".join(["w"] * 130))
    assert short["reading_time"] == 0
    featured = client.patch(
        f"/v1/posts/{short['slug']}",
        json={"feature_image": "https://images.example/f.jpg"},
        headers=admin,
    )
    assert featured.get_json()["reading_time"] == 1


def test_formats_give_html_plain_text_or_both(client, publish):
    post = publish("Formats", body="# Heading\n\nSome *emphasis* &amp; more.\n\n- one\n- two")
    path = f"/v1/posts/{post['slug']}"
    html_only = client.get(path).get_json()
    assert "<em>emphasis</em>" in html_only["body_html"] and "plaintext" not in html_only
    plain = client.get(f"{path}?formats=plaintext").get_json()
    assert "body_html" not in plain
    assert plain["plaintext"] == "Heading\n\nSome emphasis & more.\n\n- one\n- two"
    both = client.get(f"{path}?formats=html,plaintext").get_json()
    assert both["body_html"] == html_only["body_html"]
    assert both["plaintext"] == plain["plaintext"]
    listed = client.get("/v1/posts?formats=plaintext&fields=slug,plaintext").get_json()
    assert listed["items"] == [
        {"id": post["id"], "slug": post["slug"], "plaintext": plain["plaintext"]}
    ]
    refused = client.get(f"{path}?formats=markdown")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
