"""Receiving pingbacks: Python's own xmlrpc.client against /xmlrpc served on a real
port, sources served by a test site; SSRF and hostile XML refused."""

from __future__ import annotations

import time
import tracemalloc
from xmlrpc.client import Fault, ServerProxy, loads

import pytest

from api.infra.database import db
from api.linkbacks import incoming
from api.linkbacks.xmlrpc import call_body
from tests.linkbacks.conftest import LOOPBACK, Page, assert_untouched, html_page
from tests.linkbacks.test_linkback_xmlrpc_codec import BILLION_LAUGHS, EXTERNAL_ENTITY


def fault_code(call) -> int:
    with pytest.raises(Fault) as info:
        call()
    return info.value.faultCode


@pytest.fixture
def linking_page(site, publish):
    """A published post, and a page on the test site that links it."""
    target = publish("The target")
    site.pages["/linking"] = Page(
        body=html_page(
            f'<div><p>I liked <a href="{target["url"]}">this post</a> a lot.</p></div>'
            "<script>alert('x')</script>",
            title="Their &amp; <b>page</b>",
        )
    )
    return target


def test_xmlrpc_client_gets_each_spec_fault_and_then_success(
    live_app, site, allow_private, publish, linking_page, entries
):
    target = linking_page
    closed = publish("Closed", comments_open=False)
    draft = publish("Draft", status="draft")
    site.pages["/unrelated"] = Page(body=html_page('<p>Links <a href="/x">elsewhere</a>.</p>'))
    ping = ServerProxy(f"{live_app}/xmlrpc").pingback.ping
    linking = site.url("/linking")

    assert fault_code(lambda: ping(site.url("/gone"), target["url"])) == 16
    assert fault_code(lambda: ping("not a url", target["url"])) == 16
    assert fault_code(lambda: ping(site.url("/unrelated"), target["url"])) == 17
    assert fault_code(lambda: ping(linking, "https://blog.example/no-such-post/")) == 32
    assert fault_code(lambda: ping(linking, draft["url"])) == 32
    assert fault_code(lambda: ping(linking, "https://elsewhere.example/post/")) == 33
    assert fault_code(lambda: ping(linking, closed["url"])) == 33
    assert fault_code(lambda: ping(target["url"], target["url"])) == 0
    assert entries(target["id"]) == []

    answer = ping(linking, target["url"])
    assert isinstance(answer, str) and "registered" in answer
    assert fault_code(lambda: ping(linking, target["url"])) == 48

    [entry] = entries(target["id"])
    assert (entry.type, entry.status) == ("pingback", "pending")
    assert entry.source_url == linking
    assert entry.source_title == entry.author_name == "Their & page"
    assert entry.body_html == "<p>[…] I liked this post a lot. […]</p>"
    assert entry.ip_address == LOOPBACK


def test_unknown_methods_and_bad_params_get_faults(live_app):
    proxy = ServerProxy(f"{live_app}/xmlrpc")
    assert fault_code(lambda: proxy.system.listMethods()) == -32601
    assert fault_code(lambda: proxy.pingback.ping("only one")) == -32602
    assert fault_code(lambda: proxy.pingback.ping(1, 2)) == -32602


def test_the_source_may_link_any_spelling_of_the_posts_url(
    client, admin, site, allow_private, publish, entries, dispatch
):
    target = publish("Renamed later")
    client.patch(f"/v1/posts/{target['slug']}", json={"slug": "new-name"}, headers=admin)
    dispatch()  # the old slug is remembered
    site.pages["/old-link"] = Page(
        body=html_page('<p><a href="http://blog.example/renamed-later">old</a></p>')
    )
    answer = xmlrpc_call(client, site.url("/old-link"), "https://blog.example/new-name/")
    assert "registered" in answer
    assert [e.status for e in entries(target["id"])] == ["pending"]


def test_no_transaction_is_open_while_the_source_is_fetched(
    client, site, allow_private, linking_page, monkeypatch
):
    seen = []
    real = incoming.check_source

    def spy(*args):
        seen.append(db.session().in_transaction())
        return real(*args)

    monkeypatch.setattr(incoming, "check_source", spy)
    assert "registered" in xmlrpc_call(client, site.url("/linking"), linking_page["url"])
    assert seen == [False]


def xmlrpc_call(client, source: str, target: str, **environ):
    response = client.post(
        "/xmlrpc",
        data=call_body("pingback.ping", source, target),
        content_type="text/xml",
        environ_base=environ,
    )
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    (value,), _ = loads(response.data)
    return value


# --- SSRF: private targets refused (the default) ------------------------------------------


def test_every_ssrf_vector_is_refused_before_any_connection(
    client, publish, listener, dns, site, public_first_hop
):
    target = publish("Target")
    port = listener.getsockname()[1]
    dns["innocent.example"] = [LOOPBACK]  # public-looking, resolves to loopback
    public_first_hop(site)  # a "public" page that redirects inside
    site.pages["/to-inside"] = Page(302, b"", headers={"Location": f"http://{LOOPBACK}:{port}/"})
    vectors = [
        f"http://{LOOPBACK}:{port}/",
        f"http://innocent.example:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f.1:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        f"gopher://{LOOPBACK}:{port}/_INFO",
        "file:///etc/passwd",
        site.url("/to-inside"),
    ]
    for source in vectors:
        with pytest.raises(Fault) as info:
            xmlrpc_call(client, source, target["url"])
        assert info.value.faultCode == 16, source
        assert "127.0.0.1" not in info.value.faultString
    assert_untouched(listener)
    assert len(site.requests) == 1  # only the public hop was fetched


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_entity_bombs_and_external_entities_get_a_fault_fast(client, body):
    tracemalloc.start()
    started = time.perf_counter()
    response = client.post("/xmlrpc", data=body, content_type="text/xml")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with pytest.raises(Fault) as info:
        loads(response.data)
    assert info.value.faultCode == -32700
    assert b"root:" not in response.data
    assert peak < 5_000_000, f"{peak} bytes used"
    assert elapsed < 1.0


def test_an_external_dtd_is_never_fetched(client, listener):
    port = listener.getsockname()[1]
    body = (
        f'<?xml version="1.0"?><!DOCTYPE m SYSTEM "http://{LOOPBACK}:{port}/evil.dtd">'
        "<methodCall><methodName>pingback.ping</methodName></methodCall>"
    ).encode()
    response = client.post("/xmlrpc", data=body, content_type="text/xml")
    with pytest.raises(Fault):
        loads(response.data)
    assert_untouched(listener)


def test_xmlrpc_is_rate_limited_per_client_address(client, app):
    limit = int(app.config["MARGINALIA"].linkback_rate_limit.split("/")[0])
    for _ in range(limit):
        assert client.post("/xmlrpc", data=b"x", content_type="text/xml").status_code == 200
    refused = client.post("/xmlrpc", data=b"x", content_type="text/xml")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    other = client.post(
        "/xmlrpc", data=b"x", content_type="text/xml", environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert other.status_code == 200
