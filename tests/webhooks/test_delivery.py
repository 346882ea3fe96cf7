"""Deliveries to a real receiver on 127.0.0.1, verified as a consumer would verify them."""

from __future__ import annotations

import threading

from api.events.dispatch import dispatch_pending
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import unit_of_work
from api.webhooks.delivery import drain_endpoint
from api.webhooks.sender import close_thread_clients


def feed(client, admin, after=0) -> list[dict]:
    return client.get(f"/v1/events?after={after}&limit=100", headers=admin).get_json()["items"]


def test_every_delivery_verifies_and_carries_the_feed_payload(
    client, admin, receiver, hook, publish, work
):
    endpoint = hook(receiver.url)
    publish("First")
    publish("Second")
    work()

    verified = receiver.verify_all(endpoint["secret"])
    events = feed(client, admin)
    assert verified == events  # byte-for-byte the same payloads as GET /v1/events
    assert [e["type"] for e in events] == ["author.created", "post.published", "post.published"]
    for request, event in zip(receiver.received, events, strict=True):
        assert request.webhook_id == str(event["id"])
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-signature"].startswith("v1,")
        assert set(request.json) == {"id", "type", "timestamp", "data"}


def test_a_rotated_secret_still_verifies_during_the_overlap(
    client, admin, receiver, hook, publish, work
):
    endpoint = hook(receiver.url, ["post.*"])
    rotated = client.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret", headers=admin)
    publish("After the rotation")
    work()

    assert len(receiver.received) == 1
    assert receiver.verify_all(rotated.get_json()["secret"])  # the new secret
    assert receiver.verify_all(endpoint["secret"])  # and, during the overlap, the old one


def test_after_the_overlap_only_the_new_secret_signs(
    client, admin, receiver, hook, publish, work, settings
):
    settings(webhook_secret_overlap=0)
    endpoint = hook(receiver.url, ["post.*"])
    rotated = client.post(f"/v1/webhooks/{endpoint['id']}/rotate-secret", headers=admin)
    publish("After the rotation")
    work()

    assert receiver.verify_all(rotated.get_json()["secret"])
    assert receiver.received[0].headers["webhook-signature"].count("v1,") == 1


def test_endpoints_get_only_the_event_types_they_asked_for(
    client, admin, receiver, hook, publish, work
):
    hook(receiver.url, ["comment.*", "tag.created"])
    posts_only = hook(receiver.url + "?posts", ["post.published"])
    paused = hook(receiver.url + "?paused", ["*"])
    client.patch(f"/v1/webhooks/{paused['id']}", json={"active": False}, headers=admin)
    publish("Tagged", tags=["news"])
    work()

    by_path = {}
    for request in receiver.received:
        by_path.setdefault(request.path, []).append(request.json["type"])
    assert by_path == {"/hook": ["tag.created"], "/hook?posts": ["post.published"]}
    assert posts_only["events"] == ["post.published"]


def test_fan_out_is_idempotent(app, receiver, hook, publish, work):
    hook(receiver.url, ["post.*"])
    publish("Once")
    with app.app_context():
        from api.events.feed import list_events
        from api.webhooks.fanout import add_deliveries

        event = list_events(0, 10, ["post.*"])[0]
        dispatch_pending()
        with unit_of_work():
            add_deliveries(event.id, event.type, [1, 1])  # a replay after a crash
        db.session.remove()
    work()
    assert len(receiver.received) == 1


def test_events_before_the_first_endpoint_are_passed_over_and_later_ones_delivered(
    app, receiver, hook, publish, work
):
    publish("Nobody listens")
    work()  # no endpoint: fan-out moves past the event without reading it
    hook(receiver.url, ["post.*"])
    publish("Someone listens")
    work()
    assert [r.json["data"]["post"]["title"] for r in receiver.received] == ["Someone listens"]


def test_a_healthy_endpoint_receives_events_in_order_over_one_connection(
    client, admin, receiver, hook, publish, work
):
    hook(receiver.url, ["post.*"])
    for number in range(15):
        publish(f"Post {number}")
    work()

    ids = [int(i) for i in receiver.ids()]
    assert len(ids) == 15 and ids == sorted(ids)
    assert len({r.connection for r in receiver.received}) == 1  # keep-alive


def test_two_workers_draining_one_endpoint_never_send_twice_and_keep_order(
    app, receiver, hook, publish
):
    endpoint = hook(receiver.url, ["post.*"])
    for number in range(12):
        publish(f"Post {number}")
    with app.app_context():
        dispatch_pending()
        db.session.remove()
    receiver.delay = 0.01

    def worker():
        with app.app_context():
            for _ in range(3):
                drain_endpoint(endpoint["id"])
            db.session.remove()
        close_thread_clients()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [int(i) for i in receiver.ids()]
    assert len(ids) == 12 and ids == sorted(set(ids))


def test_a_test_event_goes_to_its_endpoint_only(client, admin, receiver, hook, work):
    target = hook(receiver.url + "?target", ["post.published"])
    hook(receiver.url + "?bystander", ["*"])
    response = client.post(f"/v1/webhooks/{target['id']}/test", headers=admin)
    assert response.status_code == 202
    assert response.get_json()["event_type"] == "webhook.test"
    work()

    assert [r.path for r in receiver.received] == ["/hook?target"]
    payload = receiver.verify_all(target["secret"])[0]
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == target["id"]


def test_a_drain_reports_when_its_endpoint_next_has_work(app, receiver, hook, publish, settings):
    settings(webhook_retry_schedule=(0, 60))
    endpoint = hook(receiver.url, ["post.*"])
    receiver.answer(500)
    publish("Retried in a minute")
    with app.app_context():
        dispatch_pending()
        started = utcnow()
        report = drain_endpoint(endpoint["id"])
        db.session.remove()
    assert (report.attempts, report.delivered) == (1, 0)
    assert 54 <= (report.wake_at - started).total_seconds() <= 67  # 60 s +-10%
