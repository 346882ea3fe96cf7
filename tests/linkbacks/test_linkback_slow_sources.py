"""A pingback source that drips its page slowly cannot hold request threads: the fetch
has a total deadline, and only a few verifications run at once (globally and per client
address); a ping over a cap gets fault 0 with Retry-After at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from xmlrpc.client import Fault, loads

import httpx
import pytest

from api.linkbacks.xmlrpc import call_body
from tests.security.hostile_clients import DrippingSource

DEADLINE = 1.0


@pytest.fixture
def dripping():
    with DrippingSource(interval=0.1) as source:
        yield source


@pytest.fixture
def target(publish, allow_private, settings_with):
    settings_with(pingback_verify_timeout=DEADLINE)
    return publish("Pinged slowly")


def ping(base: str, source: str, target_url: str, forwarded_for: str | None = None):
    """One pingback.ping over HTTP: (fault code or None, Retry-After, seconds taken)."""
    headers = {"Content-Type": "text/xml"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    started = time.perf_counter()
    response = httpx.post(
        f"{base}/xmlrpc",
        content=call_body("pingback.ping", source, target_url),
        headers=headers,
        timeout=10,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    try:
        loads(response.content)
    except Fault as fault:
        return fault.faultCode, response.headers.get("Retry-After"), elapsed
    return None, None, elapsed


def test_a_dripping_source_is_given_up_at_the_deadline_with_a_fault(live_app, dripping, target):
    code, _, elapsed = ping(live_app, dripping.url(), target["url"])
    assert code == 16  # the source could not be had
    assert DEADLINE * 0.9 < elapsed < DEADLINE + 4  # the source would drip for ever


def test_twenty_concurrent_pings_from_one_address_fetch_one_at_a_time(live_app, dripping, target):
    with ThreadPoolExecutor(20) as pool:
        pings = [
            pool.submit(ping, live_app, dripping.url(f"/slow/{n}"), target["url"])
            for n in range(20)
        ]
        results = [each.result() for each in pings]
    codes = [code for code, _, _ in results]
    assert set(codes) <= {0, 16}, codes
    assert codes.count(16) >= 1  # at least one was verified, to its deadline
    # One verification per address at a time (the source may see a closed connection a
    # moment late, so two can seem to overlap; the next test shows the caps exactly).
    assert dripping.most_at_once <= 2
    assert dripping.served < 20
    # The source never ends its page: every ping ended because of the deadline or a cap
    # (the margin is for a loaded machine; the abuse suite times reads against gunicorn).
    assert all(elapsed < DEADLINE + 4 for _, _, elapsed in results)
    busy = [retry for code, retry, _ in results if code == 0]
    assert busy and all(retry and int(retry) >= 1 for retry in busy)


def test_a_global_cap_holds_across_addresses_and_an_ipv6_64_is_one_address(
    live_app, dripping, target, settings_with
):
    settings_with(trusted_proxies=1, pingback_verifications=2, pingback_verify_timeout=5.0)

    def ping_from(address: str):
        return ping(live_app, dripping.url(), target["url"], address)

    with ThreadPoolExecutor(2) as pool:
        holding = [pool.submit(ping_from, f"198.51.100.{n}") for n in (1, 2)]
        dripping.wait_for(2)  # both slots taken, by two addresses
        code, retry, _ = ping_from("198.51.100.3")  # a third address
        assert (code, retry) == (0, "5")
        assert [each.result()[0] for each in holding] == [16, 16]

    settings_with(trusted_proxies=1, pingback_verifications=10, pingback_verify_timeout=5.0)
    with ThreadPoolExecutor(1) as pool:
        holding = pool.submit(ping_from, "2001:db8:1:2::1")
        dripping.wait_for(3)
        assert ping_from("2001:db8:1:2:ffff::9")[0] == 0  # the same /64: the same client
        assert ping_from("2001:db8:1:3::1")[0] == 16  # another /64 has a slot of its own
        assert holding.result()[0] == 16
