"""Batches: up to 500 decisions at once, all applied or none."""

from tests.moderation.helpers import decide


def batch(client, headers, ids, status, **fields):
    return client.post(
        "/v1/moderation/comments/batch",
        json={"ids": ids, "status": status, **fields},
        headers=headers,
    )


def statuses(client, headers, ids) -> list[str]:
    return [
        client.get(f"/v1/moderation/comments/{i}", headers=headers).get_json()["status"]
        for i in ids
    ]


def test_a_batch_with_one_unknown_id_changes_nothing(client, moderator, pending, events):
    ids = pending(3)
    response = batch(client, moderator, [*ids, 999_999], "approved")
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["type"] == "/problems/batch-refused"
    assert problem["errors"] == {"999999": ["No such comment."]}
    assert statuses(client, moderator, ids) == ["pending"] * 3
    assert events("comment.approved") == []
    assert client.get("/v1/moderation/log", headers=moderator).get_json()["items"] == []
    counts = client.get("/v1/moderation/counts", headers=moderator).get_json()
    assert counts == {"pending": 3, "approved": 0, "spam": 0, "trash": 0}


def test_a_batch_with_one_illegal_transition_changes_nothing(client, moderator, pending):
    ids = pending(3)
    decide(client, moderator, ids[1], "spam")
    response = batch(client, moderator, ids, "approved")
    assert response.status_code == 409
    assert response.get_json()["errors"] == {
        str(ids[1]): ["A spam comment can only become pending or trash, not approved."]
    }
    assert statuses(client, moderator, ids) == ["pending", "spam", "pending"]


def test_a_batch_applies_every_decision_under_one_batch_id(
    client, moderator, pending, post, events
):
    ids = pending(4)
    response = batch(client, moderator, ids[::-1], "approved", reason="Weekly sweep")
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == ids[::-1]
    assert all(item["status"] == "approved" for item in body["items"])
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"] == 4
    assert len(events("comment.approved")) == 4
    log = client.get(f"/v1/moderation/log?batch_id={body['batch_id']}", headers=moderator)
    entries = log.get_json()["items"]
    assert sorted(e["comment_id"] for e in entries) == ids
    assert {e["reason"] for e in entries} == {"Weekly sweep"}
    assert {e["actor"]["name"] for e in entries} == {"Mo"}


def test_batch_input_is_checked(client, moderator, pending):
    [one] = pending(1)
    assert batch(client, moderator, [one, one], "spam").status_code == 422
    assert batch(client, moderator, [], "spam").status_code == 422
    assert batch(client, moderator, list(range(1, 502)), "spam").status_code == 422
    assert batch(client, moderator, [one], "approved", block_author=True).status_code == 422
    assert batch(client, moderator, ["1"], "spam").status_code == 422


def test_a_batch_of_500_goes_through(client, moderator, bulk_pending):
    ids = bulk_pending(500)
    response = batch(client, moderator, ids, "trash")
    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 500
    counts = client.get("/v1/moderation/counts", headers=moderator).get_json()
    assert counts == {"pending": 0, "approved": 0, "spam": 0, "trash": 500}
