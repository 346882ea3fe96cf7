"""Claims: each moderator gets their own next items; concurrent claims never overlap."""

import threading
from datetime import timedelta

from sqlalchemy import update

from api.comments.models import Comment
from api.infra.database import db
from api.infra.timestamps import utcnow
from tests.moderation.helpers import decide


def claim(client, headers, limit=None):
    response = client.post(
        "/v1/moderation/claims", json={} if limit is None else {"limit": limit}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def claimed_ids(body) -> list[int]:
    return [item["id"] for item in body["items"]]


def test_claims_hand_out_the_oldest_free_items_once(client, moderator, other_moderator, pending):
    ids = pending(5)
    mine = claim(client, moderator, 2)
    assert claimed_ids(mine) == ids[:2]
    assert all(item["claim"]["token_name"] == "Mo" for item in mine["items"])
    assert mine["items"][0]["claim"]["expires_at"] == mine["expires_at"]
    theirs = claim(client, other_moderator, 2)
    assert claimed_ids(theirs) == ids[2:4]
    # Claimed items are still listed, marked as taken.
    listed = client.get("/v1/moderation/comments", headers=other_moderator).get_json()["items"]
    assert [item["claim"]["token_name"] if item["claim"] else None for item in listed] == [
        "Mo",
        "Mo",
        "Nia",
        "Nia",
        None,
    ]
    # Asking again renews the caller's own items first, never takes another's.
    assert claimed_ids(claim(client, moderator, 3)) == [ids[0], ids[1], ids[4]]
    assert claimed_ids(claim(client, other_moderator, 10)) == ids[2:4]


def test_a_claim_does_not_change_the_etag(client, moderator, pending):
    [comment_id] = pending(1)
    before = client.get(f"/v1/moderation/comments/{comment_id}", headers=moderator)
    claim(client, moderator)
    after = client.get(f"/v1/moderation/comments/{comment_id}", headers=moderator)
    assert after.get_json()["claim"] is not None
    assert after.headers["ETag"] == before.headers["ETag"]


def test_deciding_ends_the_claim_and_release_frees_the_rest(
    client, moderator, other_moderator, pending
):
    ids = pending(3)
    claim(client, moderator, 3)
    assert claimed_ids(claim(client, other_moderator)) == []
    decide(client, moderator, ids[0], "approved")
    decide(client, moderator, ids[0], "pending")  # back in the queue, unclaimed
    assert claimed_ids(claim(client, other_moderator)) == [ids[0]]
    assert client.delete("/v1/moderation/claims", headers=moderator).status_code == 204
    assert claimed_ids(claim(client, other_moderator)) == ids


def test_an_expired_claim_is_free_again(client, moderator, other_moderator, pending, in_app):
    ids = pending(2)
    claim(client, moderator)

    def expire():
        db.session.execute(update(Comment).values(claim_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    in_app(expire)
    listed = client.get("/v1/moderation/comments", headers=moderator).get_json()["items"]
    assert all(item["claim"] is None for item in listed)
    assert claimed_ids(claim(client, other_moderator)) == ids


def test_the_lease_is_a_discussion_setting(client, moderator, admin, pending):
    pending(1)
    client.patch("/v1/settings/discussion", json={"claim_lease_seconds": 60}, headers=admin)
    body = claim(client, moderator)
    expires = body["items"][0]["claim"]["expires_at"]
    assert expires == body["expires_at"]
    from datetime import datetime

    left = datetime.fromisoformat(expires) - utcnow()
    assert timedelta(seconds=50) < left <= timedelta(seconds=60)


def test_concurrent_claims_never_get_the_same_item(app, make_token, bulk_pending):
    """Eight moderators claim at the same moment, each in its own thread with its own
    connection; on PostgreSQL this is real concurrency (SKIP LOCKED), on SQLite the
    writers queue up and each UPDATE sees the claims before it."""
    ids = bulk_pending(40)
    names = [f"Mod {n}" for n in range(8)]
    tokens = {name: make_token("moderator", name=name) for name in names}
    start = threading.Barrier(len(tokens))
    handed: dict[str, list[list[int]]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            client = app.test_client()
            start.wait()
            calls = []
            for _ in range(2):
                response = client.post(
                    "/v1/moderation/claims",
                    json={"limit": 3},
                    headers={"Authorization": f"Bearer {tokens[name]}"},
                )
                assert response.status_code == 200, response.get_json()
                calls.append(claimed_ids(response.get_json()))
            handed[name] = calls
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    owner: dict[int, str] = {}
    for name, calls in handed.items():
        assert all(len(got) == 3 for got in calls), calls  # nobody went short
        for comment_id in {i for got in calls for i in got}:
            assert owner.setdefault(comment_id, name) == name, "handed to two moderators"
    # What the database says agrees: each item of a moderator's last call is theirs.
    with app.test_client() as client:
        listed = client.get(
            "/v1/moderation/comments?limit=100",
            headers={"Authorization": f"Bearer {tokens[names[0]]}"},
        ).get_json()["items"]
    claimed_by = {item["id"]: (item["claim"] or {}).get("token_name") for item in listed}
    for name, calls in handed.items():
        assert {claimed_by[i] for i in calls[-1]} == {name}
    assert set(owner) <= set(ids)
