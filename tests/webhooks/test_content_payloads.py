"""Webhook deliveries carry the content model: Ghost's fields, pages' own events."""

from __future__ import annotations


def test_post_and_page_deliveries_carry_the_new_fields(
    client, admin, author, receiver, hook, publish, work
):
    endpoint = hook(receiver.url, ["post.*", "page.*"])
    publish(
        "Covered",
        featured=True,
        feature_image="https://images.example/cover.jpg",
        feature_image_alt="Cover",
        meta_title="Covered (SEO)",
        og_title="Covered (og)",
        twitter_description="Tweeted",
        canonical_url="https://elsewhere.example/covered/",
        body=" ".join(["word"] * 600),
    )
    page = client.post(
        "/v1/pages",
        json={"title": "About", "author": author["slug"], "status": "published"},
        headers=admin,
    )
    assert page.status_code == 201
    work()

    delivered = receiver.verify_all(endpoint["secret"])
    assert [d["type"] for d in delivered] == ["post.published", "page.published"]
    post = delivered[0]["data"]["post"]
    assert post["featured"] is True
    assert post["feature_image"] == "https://images.example/cover.jpg"
    assert post["feature_image_alt"] == "Cover"
    assert post["meta_title"] == "Covered (SEO)"
    assert post["og_title"] == "Covered (og)"
    assert post["twitter_description"] == "Tweeted"
    assert post["canonical_url"] == "https://elsewhere.example/covered/"
    assert post["reading_time"] == 2 and post["visibility"] == "public"
    assert post["og_image"] is None and post["custom_excerpt"] is None
    assert delivered[1]["data"]["page"]["slug"] == "about"
