"""When receivers fail: retries, backoff, disabling, the attempt log and resending."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from api.infra.database import db
from api.webhooks.delivery import purge_log


def log_of(client, admin, endpoint_id, **query) -> list[dict]:
    response = client.get(
        f"/v1/webhooks/{endpoint_id}/deliveries", query_string=query, headers=admin
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def endpoint_state(client, admin, endpoint_id) -> dict:
    return client.get(f"/v1/webhooks/{endpoint_id}", headers=admin).get_json()


def test_five_failures_then_success_is_delivered_with_every_attempt_logged(
    client, admin, receiver, hook, publish, work_until
):
    endpoint = hook(receiver.url, ["post.published"])
    receiver.answer(*[(500, {}, b"database on fire")] * 5)
    publish("Persistent")
    work_until(lambda: len(receiver.received) == 6)

    assert len(set(receiver.ids())) == 1  # one webhook-id on every retry
    receiver.verify_all(endpoint["secret"])
    times = [r.at for r in receiver.received]
    assert all(later - earlier >= 0.02 for earlier, later in pairwise(times))  # backoff

    [delivery] = log_of(client, admin, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempt_count"] == 6
    attempts = delivery["attempts"]
    assert [a["number"] for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert [a["status_code"] for a in attempts] == [500] * 5 + [200]
    assert attempts[0]["response_excerpt"] == "database on fire"
    assert attempts[0]["error"] == "HTTP 500" and attempts[-1]["error"] is None
    assert all(a["duration_ms"] >= 0 and a["attempted_at"] for a in attempts)
    assert endpoint_state(client, admin, endpoint["id"])["failing_since"] is None


def test_a_receiver_that_was_down_gets_every_event_once_it_is_up(
    client, admin, down_receiver, hook, publish, work, work_until
):
    endpoint = hook(down_receiver.url, ["post.*"])
    posts = [publish(f"While down {n}") for n in range(5)]
    for _ in range(3):
        work()
        time.sleep(0.06)
    assert down_receiver.received == []
    first = log_of(client, admin, endpoint["id"], status="pending")
    assert len(first) == 5
    tried = [d for d in first if d["attempt_count"]]
    assert tried and all("connect" in d["last_error"] for d in tried)
    assert endpoint_state(client, admin, endpoint["id"])["failing_since"] is not None

    down_receiver.start()
    work_until(lambda: len(down_receiver.received) >= 5)
    work()

    events = client.get("/v1/events?types=post.*", headers=admin).get_json()["items"]
    assert [p["title"] for p in posts] == [e["data"]["post"]["title"] for e in events]
    assert down_receiver.ids() == [str(e["id"]) for e in events]  # each once, in order
    assert down_receiver.verify_all(endpoint["secret"])
    assert all(d["status"] == "succeeded" for d in log_of(client, admin, endpoint["id"]))


def test_a_redirect_is_a_failure_and_is_not_followed(
    client, admin, receiver, hook, publish, work, settings
):
    settings(webhook_retry_schedule=(0, 60))  # no retry within this test, however slow
    endpoint = hook(receiver.url, ["post.published"])
    moved = receiver.url.replace("/hook", "/moved")
    receiver.answer((301, {"Location": moved}, b""))
    publish("Moved")
    work()

    assert [r.path for r in receiver.received] == ["/hook"]
    [delivery] = log_of(client, admin, endpoint["id"])
    assert delivery["status"] == "pending" and delivery["attempts"][0]["status_code"] == 301
    assert "not followed" in delivery["attempts"][0]["error"]


def test_gone_disables_the_endpoint_until_an_admin_re_enables_it(
    client, admin, receiver, hook, publish, work
):
    endpoint = hook(receiver.url, ["post.published"])
    receiver.answer(410)
    publish("Gone")
    work()
    state = endpoint_state(client, admin, endpoint["id"])
    assert state["active"] is False and "410" in state["disabled_reason"]
    assert log_of(client, admin, endpoint["id"])[0]["status"] == "failed"

    publish("Nobody listens")
    work()
    assert len(receiver.received) == 1
    assert client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=admin).status_code == 409

    client.patch(f"/v1/webhooks/{endpoint['id']}", json={"active": True}, headers=admin)
    publish("Back")
    work()
    assert [r.json["data"]["post"]["title"] for r in receiver.received] == ["Gone", "Back"]


def test_retry_after_is_honoured_for_the_whole_endpoint(
    client, admin, receiver, hook, publish, work, work_until
):
    endpoint = hook(receiver.url, ["post.published"])
    receiver.answer((429, {"Retry-After": "1"}, b"slow down"))
    publish("Throttled")
    publish("Queued behind")
    asked_at = time.time()
    work()
    work()
    assert len(receiver.received) == 1  # the second waits too
    [later, first] = log_of(client, admin, endpoint["id"])
    retry_at = datetime.fromisoformat(first["next_attempt_at"])
    assert retry_at >= datetime.fromtimestamp(asked_at, UTC).replace(microsecond=0)
    assert first["attempts"][0]["status_code"] == 429 and later["attempt_count"] == 0

    work_until(lambda: len(receiver.received) == 3, timeout=4)
    assert [r.json["data"]["post"]["title"] for r in receiver.received[1:]] == [
        "Throttled",
        "Queued behind",
    ]
    assert receiver.received[1].at - asked_at >= 0.9


def test_a_slow_receiver_times_out_and_is_retried(
    client, admin, receiver, hook, publish, work, work_until, settings
):
    settings(webhook_timeout=0.2)
    endpoint = hook(receiver.url, ["post.published"])
    receiver.delay = 0.5
    publish("Slow")
    work()
    [delivery] = log_of(client, admin, endpoint["id"])
    assert delivery["attempts"][0]["error"].startswith("timeout")
    assert delivery["attempts"][0]["status_code"] is None

    receiver.delay = 0
    work_until(lambda: log_of(client, admin, endpoint["id"])[0]["status"] == "succeeded")


def test_spent_retries_fail_and_can_be_resent_by_hand(
    client, admin, receiver, hook, publish, work_until
):
    endpoint = hook(receiver.url, ["post.published"])
    receiver.answer(*[500] * 16)
    publish("Unlucky")
    publish("Also unlucky")
    work_until(lambda: len(log_of(client, admin, endpoint["id"], status="failed")) == 2)
    failed = log_of(client, admin, endpoint["id"])
    assert [d["attempt_count"] for d in failed] == [8, 8]
    assert len(receiver.received) == 16

    one = failed[1]
    resend = client.post(
        f"/v1/webhooks/{endpoint['id']}/deliveries/{one['id']}/resend", headers=admin
    )
    assert resend.status_code == 202 and resend.get_json()["status"] == "pending"
    work_until(lambda: len(receiver.received) == 17)
    assert receiver.received[-1].webhook_id == str(one["event_id"])

    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    bulk = client.post(
        f"/v1/webhooks/{endpoint['id']}/deliveries/resend-failed",
        json={"since": since},
        headers=admin,
    )
    assert bulk.status_code == 202 and bulk.get_json() == {"resent": 1}
    work_until(lambda: len(receiver.received) == 18)
    statuses = {d["status"] for d in log_of(client, admin, endpoint["id"])}
    assert statuses == {"succeeded"}
    single = client.get(
        f"/v1/webhooks/{endpoint['id']}/deliveries/{one['id']}", headers=admin
    ).get_json()
    assert single["attempt_count"] == 9 and single["attempts"][-1]["status_code"] == 200


def test_an_endpoint_failing_for_the_whole_period_is_disabled(
    client, admin, receiver, hook, publish, work, work_until, settings
):
    settings(webhook_disable_after=0.3)
    endpoint = hook(receiver.url, ["post.published"])
    receiver.answer(*[503] * 100)
    publish("Doomed")
    work_until(lambda: not endpoint_state(client, admin, endpoint["id"])["active"])
    state = endpoint_state(client, admin, endpoint["id"])
    assert state["disabled_reason"].startswith("every delivery attempt has failed since")
    sent = len(receiver.received)

    publish("While disabled")
    work()
    assert len(receiver.received) == sent

    receiver.script.clear()
    client.patch(f"/v1/webhooks/{endpoint['id']}", json={"active": True}, headers=admin)
    work_until(lambda: log_of(client, admin, endpoint["id"])[0]["status"] != "pending")
    # Disabled with retries left, the delivery waited and went out on re-enabling; the
    # event recorded while the endpoint was disabled was never meant for it.
    [doomed] = log_of(client, admin, endpoint["id"])
    assert doomed["status"] == "succeeded"
    assert receiver.received[-1].json["data"]["post"]["title"] == "Doomed"


def test_the_log_is_listable_per_event_and_paginated(client, admin, receiver, hook, publish, work):
    first = hook(receiver.url, ["post.published"])
    second = hook(receiver.url + "?2", ["post.*"])
    for number in range(3):
        publish(f"Post {number}")
    work()

    events = client.get("/v1/events?types=post.published", headers=admin).get_json()["items"]
    per_event = client.get(f"/v1/events/{events[0]['id']}/deliveries", headers=admin).get_json()
    assert {d["endpoint_id"] for d in per_event["items"]} == {first["id"], second["id"]}
    assert all(d["attempts"][0]["status_code"] == 200 for d in per_event["items"])

    page = client.get(f"/v1/webhooks/{first['id']}/deliveries?limit=2", headers=admin)
    body = page.get_json()
    assert len(body["items"]) == 2 and body["next"] and 'rel="next"' in page.headers["Link"]
    rest = client.get(body["next"], headers=admin).get_json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    newest_first = [d["event_id"] for d in body["items"] + rest["items"]]
    assert newest_first == sorted(newest_first, reverse=True)
    other = client.get(
        f"/v1/webhooks/{second['id']}/deliveries/{body['items'][0]['id']}", headers=admin
    )
    assert other.status_code == 404


def test_old_attempts_are_purged_after_the_retention_period(
    app, client, admin, receiver, hook, publish, work
):
    endpoint = hook(receiver.url, ["post.published"])
    publish("Old news")
    work()
    with app.app_context():
        assert purge_log(retention_days=30) == 0
        assert purge_log(retention_days=-1) == 2  # the attempt and its finished delivery
        db.session.remove()
    assert log_of(client, admin, endpoint["id"]) == []


def test_private_targets_are_refused_at_delivery_time_too(
    client, admin, receiver, hook, publish, work, settings
):
    endpoint = hook(receiver.url, ["post.published"])
    settings(allow_private_targets=False)
    publish("Rebound")
    work()
    assert receiver.received == []
    [delivery] = log_of(client, admin, endpoint["id"])
    assert delivery["attempts"][0]["error"].startswith("blocked_address")


def test_a_binary_answer_is_kept_in_the_log(client, admin, receiver, hook, publish, work_until):
    endpoint = hook(receiver.url, ["post.published"])
    receiver.answer((500, {"Content-Type": "application/octet-stream"}, b"\x00\x01\xffcore"))
    publish("Binary")
    work_until(lambda: len(receiver.received) == 2)
    excerpt = log_of(client, admin, endpoint["id"])[0]["attempts"][0]["response_excerpt"]
    assert excerpt.endswith("core") and "\x00" not in excerpt


def test_a_secret_the_worker_cannot_decrypt_fails_the_attempt_without_sending(
    app, client, admin, receiver, hook, publish, work
):
    endpoint = hook(receiver.url, ["post.published"])
    publish("Unsigned")
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "the key was changed"
    try:
        work()
    finally:
        app.config["SECRET_KEY"] = original
    assert receiver.received == []
    [delivery] = log_of(client, admin, endpoint["id"])
    assert delivery["status"] == "pending"
    assert delivery["attempts"][0]["error"].startswith("signing: the endpoint secret cannot")


def test_moving_an_unreachable_endpoint_sends_what_waited_at_once(
    client, admin, down_receiver, receiver, hook, publish, work
):
    endpoint = hook(down_receiver.url, ["post.published"])
    publish("Lost in the void")
    work()
    assert log_of(client, admin, endpoint["id"])[0]["attempts"][0]["status_code"] is None

    client.patch(f"/v1/webhooks/{endpoint['id']}", json={"url": receiver.url}, headers=admin)
    work()
    assert [r.json["data"]["post"]["title"] for r in receiver.received] == ["Lost in the void"]
