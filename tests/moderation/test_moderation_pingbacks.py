"""Pingbacks between our posts: a link removed trashes the entry, the same link back
restores it (api.comments.services.restore_pingback), unless a moderator trashed it."""

from api.events.dispatch import dispatch_pending
from tests.moderation.helpers import decide

SITE = "https://blog.example/{slug}/"


def edit(client, admin, slug, body):
    response = client.patch(f"/v1/posts/{slug}", json={"body": body}, headers=admin)
    assert response.status_code == 200


def test_a_link_that_comes_back_restores_its_pingback(
    client, admin, moderator, publish, in_app, events, counts_agree
):
    target = publish("The target")
    link = f"See [it]({SITE.format(slug=target['slug'])})."
    source = publish("The source", body=link)
    in_app(dispatch_pending)
    [ping] = client.get("/v1/moderation/comments?status=approved", headers=moderator).get_json()[
        "items"
    ]
    assert ping["type"] == "pingback"

    edit(client, admin, source["slug"], "No link now.")
    in_app(dispatch_pending)
    assert client.get(f"/v1/posts/{target['slug']}").get_json()["comment_count"] == 0
    edit(client, admin, source["slug"], link)
    in_app(dispatch_pending)
    item = client.get(f"/v1/moderation/comments/{ping['id']}", headers=moderator).get_json()
    assert item["status"] == "approved"
    assert client.get(f"/v1/posts/{target['slug']}").get_json()["comment_count"] == 1
    [(_, restored)] = events("comment.restored")
    assert (restored["from"], restored["to"]) == ("trash", "approved")
    log = client.get(f"/v1/moderation/log?comment_id={ping['id']}", headers=moderator)
    assert [(e["actor"]["name"], e["to_status"]) for e in log.get_json()["items"]] == [
        ("linkbacks", "approved"),
        ("linkbacks", "trash"),
    ]
    counts_agree()


def test_a_pingback_a_moderator_trashed_stays_in_the_trash(
    client, admin, moderator, publish, in_app
):
    target = publish("The target")
    link = f"See [it]({SITE.format(slug=target['slug'])})."
    source = publish("The source", body=link)
    in_app(dispatch_pending)
    [ping] = client.get("/v1/moderation/comments?status=approved", headers=moderator).get_json()[
        "items"
    ]
    decide(client, moderator, ping["id"], "trash")
    edit(client, admin, source["slug"], "No link now.")
    in_app(dispatch_pending)
    edit(client, admin, source["slug"], link)
    in_app(dispatch_pending)
    item = client.get(f"/v1/moderation/comments/{ping['id']}", headers=moderator).get_json()
    assert item["status"] == "trash"
