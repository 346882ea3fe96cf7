"""A bounded burst from one client against the public write endpoints: that client is
limited, everybody else keeps being served (real gunicorn server, loopback only)."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from api.demo.loader import POST_SLUG
from tests.e2e.conftest import wait_until_up

BURST = 45  # requests per endpoint from the abusive client; bounded in count and time
# Sources are loopback URLs: the guarded client refuses them before any connection (and
# before any DNS lookup), so the test sends nothing beyond this machine.


def test_a_burst_from_one_client_leaves_others_served(server_env, start):
    env = {**server_env, "MARGINALIA_TRUSTED_PROXIES": "1"}  # the client is X-Forwarded-For
    base = f"http://127.0.0.1:{env['MARGINALIA_PORT']}"
    server = start(env, "serve", "--threads", "8")
    wait_until_up(base, server)
    target = f"https://blog.example/{POST_SLUG}/"
    endpoints = {
        "comment": lambda client, ip, n: client.post(
            f"{base}/v1/posts/{POST_SLUG}/comments",
            headers={"X-Forwarded-For": ip},
            json={
                "body": f"Burst {ip} {n}",
                "author_name": "B",
                "author_email": f"{n}@{ip}.example",
            },
        ),
        "xmlrpc": lambda client, ip, n: client.post(
            f"{base}/xmlrpc",
            headers={"X-Forwarded-For": ip, "Content-Type": "text/xml"},
            content=b"<?xml version='1.0'?><methodCall><methodName>pingback.ping</methodName>"
            b"<params><param><value><string>http://127.0.0.1:9/x</string>"
            b"</value></param><param><value><string>"
            + target.encode()
            + b"</string></value></param></params></methodCall>",
        ),
        "webmention": lambda client, ip, n: client.post(
            f"{base}/v1/webmention",
            headers={"X-Forwarded-For": ip},
            data={"source": f"http://127.0.0.1:9/{n}", "target": target},
        ),
    }
    started = time.monotonic()
    with httpx.Client(timeout=10) as client:
        for name, send in endpoints.items():
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(
                    pool.map(
                        lambda n, s=send: s(client, "198.51.100.7", n).status_code, range(BURST)
                    )
                )
            assert 0 < statuses.count(429) < BURST, (name, statuses)
            limited = send(client, "198.51.100.7", BURST)
            assert limited.status_code == 429
            assert int(limited.headers["Retry-After"]) > 0
            assert limited.headers["Content-Type"] == "application/problem+json"

            before = time.monotonic()
            other = send(client, "203.0.113.9", 0)
            assert other.status_code != 429, (name, other.text)
            assert other.status_code < 500
            assert time.monotonic() - before < 2, "another client waited behind the burst"
            assert httpx.get(f"{base}/v1/posts/{POST_SLUG}").status_code == 200
    assert time.monotonic() - started < 60
