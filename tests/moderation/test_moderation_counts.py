"""The status counts: kept in every transaction that changes a status, and always what a
fresh GROUP BY over the comments says."""

from datetime import timedelta

from api.comments import services
from api.infra.timestamps import utcnow
from api.moderation import automatic, purge
from tests.moderation.helpers import decide


def test_counts_equal_a_fresh_count_after_every_kind_of_change(
    app,
    client,
    admin,
    moderator,
    post,
    publish,
    comment,
    bulk_pending,
    in_app,
    in_unit_of_work,
    counts_agree,
):
    assert counts_agree() == {"pending": 0, "approved": 0, "spam": 0, "trash": 0}
    client.patch(
        "/v1/settings/discussion",
        json={"flood_interval": 0, "disallowed_keys": ["viagra"]},
        headers=admin,
    )
    held = comment("Held for a moderator.")  # intake: pending
    comment("Buy viagra.")  # intake: spam
    withdrawn = comment("Oops.")
    client.delete(
        f"/v1/comments/{withdrawn['id']}",
        headers={"Authorization": f"Bearer {withdrawn['edit_token']}"},
    )  # withdrawn by its author: trash
    counts_agree()
    decide(client, moderator, held["id"], "approved")
    edited = client.patch(
        f"/v1/comments/{held['id']}",
        json={"body": "Now with viagra."},
        headers={"Authorization": f"Bearer {held['edit_token']}"},
    )
    assert edited.get_json()["status"] == "pending"  # an edit judged spam: approved → spam
    assert counts_agree()["spam"] == 2

    ids = bulk_pending(5)  # imports
    client.post(
        "/v1/moderation/comments/batch", json={"ids": ids[:3], "status": "spam"}, headers=moderator
    )
    client.post(
        "/v1/moderation/comments/batch",
        json={"ids": [*ids[3:], 999_999], "status": "trash"},
        headers=moderator,
    )  # refused: no change
    counts_agree()

    def pingbacks():
        services.add_pingback(
            post_id=post["id"],
            source_url="https://elsewhere.example/a",
            source_title="A",
            excerpt_html="<p>a</p>",
            status="approved",
        )
        automatic.trash_pingback(post_id=post["id"], source_url="https://elsewhere.example/a")
        automatic.restore_pingback(post_id=post["id"], source_url="https://elsewhere.example/a")

    in_unit_of_work(pingbacks)
    counts_agree()

    doomed = publish("To be deleted")
    bulk_pending(4, post_id=doomed["id"])
    comment("On the doomed post.", slug=doomed["slug"])
    assert client.delete(f"/v1/posts/{doomed['slug']}", headers=admin).status_code == 204
    counts_agree()

    later = utcnow() + timedelta(days=40)
    purged = in_app(lambda: purge.purge(app.config["MARGINALIA"], now=later))
    assert purged >= 4
    after = counts_agree()
    assert after["spam"] == after["trash"] == 0
    served = client.get("/v1/moderation/counts", headers=moderator).get_json()
    assert served == after
