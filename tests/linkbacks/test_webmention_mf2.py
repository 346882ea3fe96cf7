"""A Webmention from a page with a microformats2 h-entry shows its author and type in
the moderation queue (issue 20), and in the public thread once approved."""

from __future__ import annotations

import pytest

from api.linkbacks.jobs import verify_due_webmentions
from tests.linkbacks.conftest import Page, html_page


@pytest.fixture
def moderator(make_token):
    return {"Authorization": f"Bearer {make_token('moderator')}"}


def _entry_page(target_url: str, kind_class: str, site) -> str:
    return html_page(
        f"""
        <article class="h-entry">
          <span class="p-author h-card">
            <img class="u-photo" src="{site.url("/ada.jpg")}" alt="">
            <a class="p-name u-url" href="{site.url("/")}">Ada Lovelace</a></span>
          <a class="{kind_class}" href="{target_url}">your post</a>
          <div class="e-content">Indeed, <b>a fine</b> point.</div>
          <a class="u-url" href="{site.url("/notes/1")}">permalink</a>
        </article>""",
        title="Ada's note",
    )


@pytest.mark.parametrize(
    ("kind_class", "mention_type"),
    [("u-in-reply-to", "reply"), ("u-like-of", "like"), ("u-repost-of", "repost")],
)
def test_h_entry_author_and_type_reach_the_queue(
    client, site, allow_private, publish, in_app, moderator, kind_class, mention_type
):
    target = publish("Mentioned")
    site.pages["/notes/1"] = Page(body=_entry_page(target["url"], kind_class, site))
    sent = client.post(
        "/v1/webmention", data={"source": site.url("/notes/1"), "target": target["url"]}
    )
    assert sent.status_code == 202
    assert in_app(verify_due_webmentions) == 1

    queue = client.get("/v1/moderation/comments?type=webmention", headers=moderator).get_json()
    [item] = queue["items"]
    assert item["type"] == "webmention" and item["mention_type"] == mention_type
    assert item["author_name"] == "Ada Lovelace"
    assert item["author_url"] == site.url("/")
    assert item["author_photo"] == site.url("/ada.jpg")
    assert item["body_html"] == "<p>Indeed, a fine point.</p>"
    assert item["reasons"][0]["reason"] == f"Webmention: a {mention_type} by Ada Lovelace."

    approved = client.patch(
        f"/v1/moderation/comments/{item['id']}", json={"status": "approved"}, headers=moderator
    )
    assert approved.status_code == 200
    [public] = client.get(f"/v1/posts/{target['slug']}/comments").get_json()["items"]
    assert (public["type"], public["mention_type"]) == ("webmention", mention_type)
    assert public["author_photo"] == site.url("/ada.jpg")
