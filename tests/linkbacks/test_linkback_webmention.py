"""Receiving Webmentions: 400 or 202 at once, the source verified by the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from api.infra.database import db
from api.infra.timestamps import utcnow
from api.linkbacks.jobs import verify_due_webmentions
from api.linkbacks.models import ReceivedWebmention
from tests.linkbacks.conftest import LOOPBACK, Page, assert_untouched, html_page


@pytest.fixture
def verify(in_app):
    return lambda: in_app(verify_due_webmentions)


@pytest.fixture
def received(in_app):
    def read() -> list[tuple[str, str | None, int]]:
        def query():
            rows = db.session.scalars(select(ReceivedWebmention).order_by(ReceivedWebmention.id))
            return [(r.status, r.result, r.attempts) for r in rows]

        return in_app(query)

    return read


def mention(client, source: str, target: str, **environ):
    return client.post(
        "/v1/webmention", data={"source": source, "target": target}, environ_base=environ
    )


@pytest.fixture
def linking_page(site, publish):
    target = publish("The target")
    site.pages["/reply"] = Page(
        body=html_page(
            f'<article><p>In reply to <a href="{target["url"]}">your post</a>: yes.</p></article>',
            title="A reply",
        )
    )
    return target


def test_a_valid_webmention_is_queued_then_verified_into_a_pending_entry(
    client, site, allow_private, linking_page, verify, received, entries
):
    response = mention(client, site.url("/reply"), linking_page["url"])
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued"
    assert site.requests == []  # nothing fetched while the sender waited
    assert received() == [("queued", None, 0)]

    assert verify() == 1
    assert received() == [("accepted", None, 1)]
    [entry] = entries(linking_page["id"])
    assert (entry.type, entry.status) == ("webmention", "pending")  # not a pingback
    assert entry.source_url == site.url("/reply")
    assert entry.author_name == "A reply"
    assert entry.body_html == "<p>[…] In reply to your post: yes. […]</p>"
    assert entry.ip_address == LOOPBACK


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"target": "https://blog.example/the-target/"}, "source"),
        ({"source": "https://them.example/"}, "target"),
        ({"source": "not a url", "target": "https://blog.example/the-target/"}, "source"),
        ({"source": "ftp://them.example/", "target": "https://blog.example/the-target/"}, "source"),
        ({"source": "https://them.example/", "target": "https://elsewhere.example/x/"}, "target"),
        ({"source": "https://them.example/", "target": "https://blog.example/nothing/"}, "target"),
        ({"source": "https://them.example/", "target": "https://blog.example/closed/"}, "target"),
        ({"source": "https://them.example/", "target": "https://blog.example/draft/"}, "target"),
        (
            {
                "source": "https://blog.example/the-target/",
                "target": "https://blog.example/the-target",
            },
            "source",
        ),
    ],
)
def test_bad_webmentions_get_400(client, publish, received, form, field):
    publish("The target")
    publish("Closed", comments_open=False)
    publish("Draft", status="draft")
    response = client.post("/v1/webmention", data=form)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert field in (problem.get("errors") or {}) or field in problem["detail"]
    assert received() == []


def test_json_instead_of_a_form_is_400(client, publish):
    publish("The target")
    body = {"source": "https://them.example/", "target": "https://blog.example/the-target/"}
    assert client.post("/v1/webmention", json=body).status_code == 400


def test_resending_after_the_link_is_removed_trashes_the_entry(
    client, site, allow_private, linking_page, verify, received, entries
):
    mention(client, site.url("/reply"), linking_page["url"])
    verify()
    site.pages["/reply"] = Page(body=html_page("<p>Changed my mind.</p>"))
    assert mention(client, site.url("/reply"), linking_page["url"]).status_code == 202
    verify()
    assert received() == [("rejected", "the source does not link the target", 1)]
    assert [e.status for e in entries(linking_page["id"])] == ["trash"]


def test_a_source_that_is_gone_is_rejected(
    client, site, allow_private, linking_page, verify, received, entries
):
    mention(client, site.url("/deleted"), linking_page["url"])
    verify()
    assert received() == [("rejected", "the source answered HTTP 404", 1)]
    assert entries(linking_page["id"]) == []


def test_a_source_with_server_trouble_is_tried_again_later(
    client, site, allow_private, linking_page, verify, received, entries, in_app
):
    page = site.pages["/reply"]
    answers = iter([Page(503, b"")])
    site.pages["/reply"] = lambda request: next(answers, page)
    mention(client, site.url("/reply"), linking_page["url"])
    verify()
    assert received() == [("queued", "the source answered HTTP 503", 1)]
    assert verify() == 0  # backing off

    def make_due():
        db.session.execute(
            update(ReceivedWebmention).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()

    in_app(make_due)
    verify()
    assert received() == [("accepted", None, 2)]
    assert [e.status for e in entries(linking_page["id"])] == ["pending"]


def test_sources_inside_our_network_are_refused_without_a_connection(
    client, publish, listener, dns, verify, received
):
    target = publish("Target")
    port = listener.getsockname()[1]
    dns["friendly.example"] = [LOOPBACK]
    for source in (f"http://{LOOPBACK}:{port}/", f"http://friendly.example:{port}/page"):
        assert mention(client, source, target["url"]).status_code == 202
    assert verify() == 2
    assert [status for status, _, _ in received()] == ["rejected", "rejected"]
    assert_untouched(listener)


def test_webmention_is_rate_limited_per_client_address(client, app):
    limit = int(app.config["MARGINALIA"].linkback_rate_limit.split("/")[0])
    for _ in range(limit):
        assert client.post("/v1/webmention", data={}).status_code == 400
    assert client.post("/v1/webmention", data={}).status_code == 429
    assert mention(client, "x", "y", REMOTE_ADDR="192.0.2.8").status_code == 400
