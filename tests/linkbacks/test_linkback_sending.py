"""Pinging other sites about our links: discovery, Webmention or Pingback, the outcome
recorded per (post, target), retries; against real servers on 127.0.0.1."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs
from xmlrpc.server import SimpleXMLRPCServer

import pytest
from sqlalchemy import select, update

from api.infra.database import db
from api.infra.timestamps import utcnow
from api.linkbacks import jobs
from api.linkbacks.models import OutgoingLinkback
from api.linkbacks.retries import MAX_ATTEMPTS
from tests.linkbacks.conftest import LOOPBACK, Page, assert_untouched, html_page

WEBMENTION_PAGE = Page(
    body=html_page("<p>An article.</p>"),
    headers={"Content-Type": "text/html", "Link": '</webmention?key=1>; rel="webmention"'},
)


@pytest.fixture
def outgoing(in_app):
    """The outgoing linkback rows of a post, as plain dicts."""

    def read(post_id: int) -> list[dict]:
        def query():
            rows = db.session.scalars(
                select(OutgoingLinkback)
                .where(OutgoingLinkback.source_post_id == post_id)
                .order_by(OutgoingLinkback.id)
            )
            return [
                {
                    "target_url": r.target_url,
                    "status": r.status,
                    "protocol": r.protocol,
                    "endpoint": r.endpoint,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                    "next_attempt_at": r.next_attempt_at,
                }
                for r in rows
            ]

        return in_app(query)

    return read


@pytest.fixture
def send(in_app):
    return lambda: in_app(jobs.send_due_linkbacks)


@pytest.fixture
def pingback_server():
    """A real XML-RPC server (the standard library's) answering pingback.ping."""
    server = SimpleXMLRPCServer((LOOPBACK, 0), logRequests=False)
    server.calls = []
    server.answer = lambda source, target: "Pingback registered."

    def ping(source, target):
        server.calls.append((source, target))
        return server.answer(source, target)

    server.register_function(ping, "pingback.ping")
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    server.url = f"http://{LOOPBACK}:{server.server_address[1]}/RPC2"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def make_due(in_app) -> None:
    """Let the backoff time pass."""

    def move():
        db.session.execute(
            update(OutgoingLinkback)
            .where(OutgoingLinkback.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()

    in_app(move)


def test_a_page_advertising_webmention_receives_a_correct_webmention(
    site, allow_private, publish, dispatch, send, outgoing
):
    site.pages["/article"] = WEBMENTION_PAGE
    site.pages["/webmention"] = Page(202, b"Accepted")
    post = publish("Source", body=f"Read [this article]({site.url('/article#part-2')}).")
    dispatch()
    assert [r["status"] for r in outgoing(post["id"])] == ["pending"]

    assert send() == 1
    [mention] = site.received("POST", "/webmention")
    assert mention.path == "/webmention?key=1"
    assert mention.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(mention.body.decode()) == {
        "source": [post["url"]],
        "target": [site.url("/article")],
    }
    [row] = outgoing(post["id"])
    assert row["status"] == "sent"
    assert row["protocol"] == "webmention"
    assert row["endpoint"] == site.url("/webmention?key=1")
    assert row["attempts"] == 1
    assert row["last_error"] is None

    assert send() == 0  # nothing is sent twice
    assert len(site.received("POST", "/webmention")) == 1


def test_a_page_advertising_only_x_pingback_receives_a_correct_pingback(
    site, pingback_server, allow_private, publish, dispatch, send, outgoing
):
    site.pages["/old-blog/post"] = Page(
        body=html_page("<p>Hello.</p>"),
        headers={"Content-Type": "text/html", "X-Pingback": pingback_server.url},
    )
    post = publish("Source", body=f"An [old blog]({site.url('/old-blog/post')}).")
    dispatch()
    assert send() == 1
    assert pingback_server.calls == [(post["url"], site.url("/old-blog/post"))]
    [row] = outgoing(post["id"])
    assert (row["status"], row["protocol"], row["endpoint"]) == (
        "sent",
        "pingback",
        pingback_server.url,
    )


def test_pingback_faults_are_recorded_and_already_registered_counts_as_sent(
    site, pingback_server, allow_private, publish, dispatch, send, outgoing
):
    site.pages["/a"] = Page(body=html_page(f'<link rel="pingback" href="{pingback_server.url}">'))
    site.pages["/b"] = Page(body=html_page(f'<link rel="pingback" href="{pingback_server.url}">'))

    def answer(source, target):
        from xmlrpc.client import Fault

        raise Fault(17 if target.endswith("/a") else 48, "no")

    pingback_server.answer = answer
    post = publish("Source", body=f"[a]({site.url('/a')}) and [b]({site.url('/b')})")
    dispatch()
    assert send() == 2
    by_target = {r["target_url"]: r for r in outgoing(post["id"])}
    assert by_target[site.url("/a")]["status"] == "failed"
    assert by_target[site.url("/a")]["last_error"] == "fault 17: no"
    assert by_target[site.url("/b")]["status"] == "sent"


def test_a_page_with_no_endpoint_is_recorded_no_endpoint(
    site, allow_private, publish, dispatch, send, outgoing
):
    site.pages["/plain"] = Page(body=html_page('<p>No <a href="/x">endpoints</a>.</p>'))
    post = publish("Source", body=f"[plain]({site.url('/plain')})")
    dispatch()
    assert send() == 1
    assert [r["status"] for r in outgoing(post["id"])] == ["no_endpoint"]
    assert [r.method for r in site.requests] == ["GET"]


def test_transient_failures_are_retried_with_backoff(
    site, allow_private, publish, dispatch, send, outgoing, in_app
):
    answers = iter([Page(503, b"busy"), Page(502, b"")])
    site.pages["/flaky"] = lambda request: next(answers, WEBMENTION_PAGE)
    site.pages["/webmention"] = Page(201)
    post = publish("Source", body=f"[flaky]({site.url('/flaky')})")
    dispatch()

    before = utcnow()
    assert send() == 1
    [row] = outgoing(post["id"])
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] == "the target answered HTTP 503: busy"
    assert row["next_attempt_at"] >= before + timedelta(seconds=59)
    assert send() == 0  # not due yet

    make_due(in_app)
    assert send() == 1
    [row] = outgoing(post["id"])
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert row["next_attempt_at"] >= utcnow() + timedelta(minutes=9)

    make_due(in_app)
    assert send() == 1
    [row] = outgoing(post["id"])
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)


def test_retries_end_in_failed(site, allow_private, publish, dispatch, send, outgoing, in_app):
    site.pages["/down"] = Page(503, b"")
    post = publish("Source", body=f"[down]({site.url('/down')})")
    dispatch()
    for _ in range(MAX_ATTEMPTS):
        make_due(in_app)
        send()
    [row] = outgoing(post["id"])
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert row["next_attempt_at"] is None
    make_due(in_app)
    assert send() == 0


def test_an_endpoint_refusing_the_webmention_fails_without_retry(
    site, allow_private, publish, dispatch, send, outgoing
):
    site.pages["/article"] = WEBMENTION_PAGE
    site.pages["/webmention"] = Page(400, b"source does not link target")
    post = publish("Source", body=f"[a]({site.url('/article')})")
    dispatch()
    send()
    [row] = outgoing(post["id"])
    assert row["status"] == "failed"
    assert (
        row["last_error"]
        == "the webmention endpoint answered HTTP 400: source does not link target"
    )


def test_links_removed_before_sending_are_not_sent_and_readding_queues_again(
    client, admin, site, allow_private, publish, dispatch, send, outgoing
):
    site.pages["/article"] = WEBMENTION_PAGE
    site.pages["/webmention"] = Page(202)
    post = publish("Source", body=f"[a]({site.url('/article')})")
    dispatch()
    client.patch(f"/v1/posts/{post['slug']}", json={"body": "no links"}, headers=admin)
    dispatch()
    assert send() == 0
    assert [r["status"] for r in outgoing(post["id"])] == ["removed"]
    assert site.requests == []

    client.patch(
        f"/v1/posts/{post['slug']}", json={"body": f"[a]({site.url('/article')})"}, headers=admin
    )
    dispatch()
    assert send() == 1
    assert [r["status"] for r in outgoing(post["id"])] == ["sent"]


def test_no_transaction_is_open_while_pinging(
    site, allow_private, publish, dispatch, in_app, monkeypatch
):
    site.pages["/plain"] = Page(body=html_page("<p>x</p>"))
    publish("Source", body=f"[p]({site.url('/plain')})")
    dispatch()
    seen = []
    real = jobs.send_linkback

    def spy(*args):
        seen.append(db.session().in_transaction())
        return real(*args)

    monkeypatch.setattr(jobs, "send_linkback", spy)
    in_app(jobs.send_due_linkbacks)
    assert seen == [False]


# --- SSRF: with private targets refused (the default), nothing internal is reached --------


def test_links_to_internal_addresses_are_refused_before_connecting(
    listener, dns, publish, dispatch, send, outgoing
):
    port = listener.getsockname()[1]
    dns["intranet.example"] = [LOOPBACK]  # a public-looking name resolving to loopback
    targets = [
        f"http://{LOOPBACK}:{port}/",
        f"http://intranet.example:{port}/",
        f"http://2130706433:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
    ]
    post = publish("Source", body=" ".join(f"[t{n}]({t})" for n, t in enumerate(targets)))
    dispatch()
    assert send() == len(targets)
    rows = outgoing(post["id"])
    assert [r["status"] for r in rows] == ["failed"] * len(targets)
    assert all("blocked_address" in r["last_error"] for r in rows)
    assert all(r["next_attempt_at"] is None for r in rows)  # not worth a retry
    assert_untouched(listener)


def test_an_endpoint_or_redirect_pointing_inside_is_refused(
    site, listener, public_first_hop, publish, dispatch, send, outgoing
):
    internal = f"http://{LOOPBACK}:{listener.getsockname()[1]}"
    public_first_hop(site)  # the test server plays a public site; loopback stays refused
    site.pages["/wm-inside"] = Page(
        body=html_page("x"), headers={"Link": f'<{internal}/wm>; rel="webmention"'}
    )
    site.pages["/pingback-inside"] = Page(
        body=html_page("x"), headers={"X-Pingback": f"{internal}/xmlrpc"}
    )
    site.pages["/redirect-inside"] = Page(302, b"", headers={"Location": f"{internal}/admin"})
    post = publish(
        "Source",
        body=(
            f"[a]({site.url('/wm-inside')}) [b]({site.url('/pingback-inside')}) "
            f"[c]({site.url('/redirect-inside')})"
        ),
    )
    dispatch()
    assert send() == 3
    rows = outgoing(post["id"])
    assert [r["status"] for r in rows] == ["failed", "failed", "failed"]
    assert all("blocked_address" in r["last_error"] for r in rows), rows
    assert len(site.requests) == 3  # the public hop was reached, nothing behind it
    assert_untouched(listener)


def test_staff_read_what_became_of_each_link_page_by_page(
    client, admin, make_token, site, allow_private, publish, dispatch, send
):
    site.pages["/article"] = WEBMENTION_PAGE
    site.pages["/webmention"] = Page(202)
    site.pages["/plain"] = Page(body=html_page("x"))
    post = publish(
        "Source",
        body=f"[a]({site.url('/article')}) [b]({site.url('/plain')}) [c]({site.url('/nope')})",
    )
    dispatch()
    send()
    first = client.get(f"/v1/posts/{post['slug']}/linkbacks?limit=2", headers=admin)
    assert first.status_code == 200
    body = first.get_json()
    assert [(i["target_url"], i["status"]) for i in body["items"]] == [
        (site.url("/article"), "sent"),
        (site.url("/plain"), "no_endpoint"),
    ]
    assert body["items"][0]["protocol"] == "webmention"
    assert body["items"][0]["sent_at"] is not None
    rest = client.get(body["next"], headers=admin).get_json()
    [failed] = rest["items"]
    assert (failed["status"], failed["last_error"]) == (
        "failed",
        "the target answered HTTP 404: not here",
    )
    assert rest["next"] is None

    assert client.get(f"/v1/posts/{post['slug']}/linkbacks").status_code == 401
    moderator = {"Authorization": f"Bearer {make_token('moderator')}"}
    assert client.get(f"/v1/posts/{post['slug']}/linkbacks", headers=moderator).status_code == 403
    assert client.get("/v1/posts/nothing/linkbacks", headers=admin).status_code == 404
