"""The event feed as a webhook consumer uses it to catch up, with a read-events token."""

from __future__ import annotations


def test_an_event_reader_token_reads_the_feed_and_nothing_else(client, admin, publish):
    issued = client.post(
        "/v1/tokens", json={"name": "indexer", "role": "event-reader"}, headers=admin
    )
    assert issued.status_code == 201
    reader = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    publish("Indexed")

    feed = client.get("/v1/events", headers=reader)
    assert feed.status_code == 200
    assert "post.published" in [e["type"] for e in feed.get_json()["items"]]
    assert client.get("/v1/webhooks", headers=reader).status_code == 403
    assert client.post("/v1/posts", json={"title": "x"}, headers=reader).status_code == 403
    assert client.get("/v1/tokens", headers=reader).status_code == 403


def test_a_consumer_that_was_down_catches_up_page_by_page_in_commit_order(client, admin, publish):
    for number in range(5):
        publish(f"Post {number}")
    everything = client.get("/v1/events?limit=100", headers=admin).get_json()["items"]
    seen_until = everything[1]["id"]  # the author and the first post were processed

    caught_up, url = [], f"/v1/events?after={seen_until}&types=post.*&limit=2"
    while url:
        page = client.get(url, headers=admin)
        body = page.get_json()
        caught_up += body["items"]
        url = body["next"]
        assert (url is None) == ("Link" not in page.headers)
    expected = [e for e in everything if e["id"] > seen_until and e["type"].startswith("post.")]
    assert caught_up == expected and len(expected) == 4
    assert [e["id"] for e in caught_up] == sorted(e["id"] for e in caught_up)
