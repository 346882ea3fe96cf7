"""Claims: each moderator gets their own next items; concurrent claims never overlap."""

import threading
from datetime import timedelta

from sqlalchemy import update

from api.comments.models import Comment
from api.extensions import db
from api.types import utcnow
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
    tokens = [make_token("moderator", name=f"Mod {n}") for n in range(8)]
    start = threading.Barrier(len(tokens))
    results: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def work(token: str) -> None:
        try:
            client = app.test_client()
            start.wait()
            got = []
            for _ in range(2):
                response = client.post(
                    "/v1/moderation/claims",
                    json={"limit": 3},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.get_json()
                got += claimed_ids(response.get_json())
            results[token] = got
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    owned = {token: set(got) for token, got in results.items()}
    everyone = [i for got in owned.values() for i in got]
    assert len(everyone) == len(set(everyone)), "an item was handed to two moderators"
    assert all(len(got) == 3 for got in owned.values())  # asking again renews one's own
    assert set(everyone) == set(ids[:24])  # the oldest, none skipped for good
