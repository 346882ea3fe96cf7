"""Comment rate limits: per IP for anonymous commenters, per identity for OIDC ones
(higher), per post; IETF RateLimit headers; and shared counters across processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import redis

from tests.comments.helpers import bearer, new_ip

ROOT = Path(__file__).resolve().parents[2]
POLICY = re.compile(r'"(?P<name>[\w-]+)";q=(?P<q>\d+);w=(?P<w>\d+)')
STATE = re.compile(r'"(?P<name>[\w-]+)";r=(?P<r>\d+);t=(?P<t>\d+)')


@pytest.fixture
def limits(app, monkeypatch):
    """Set the configured limits for this test."""

    def configure(**values):
        monkeypatch.setitem(app.config, "MARGINALIA", replace(app.config["MARGINALIA"], **values))

    return configure


def test_anonymous_commenters_are_limited_per_ip_with_ietf_headers(
    post, submit, discussion, all_comments
):
    discussion(flood_interval=0)
    ip = new_ip()
    accepted = [
        submit(post["slug"], f"Comment {n}.", ip=ip, author_email=f"r{n}@example.org")
        for n in range(5)
    ]
    assert [r.status_code for r in accepted] == [202] * 5
    last = accepted[-1]
    assert "Retry-After" not in last.headers  # only a refusal says when to come back
    assert {
        m["name"]: (int(m["q"]), int(m["w"]))
        for m in POLICY.finditer(last.headers["RateLimit-Policy"])
    } == {"ip-60s": (5, 60), "ip-3600s": (50, 3600), "post-60s": (30, 60)}
    state = {m["name"]: int(m["r"]) for m in STATE.finditer(last.headers["RateLimit"])}
    assert state == {"ip-60s": 0, "ip-3600s": 45, "post-60s": 25}

    refused = submit(post["slug"], "One too many.", ip=ip, author_email="x@example.org")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"] == "/problems/too-many-requests"
    assert "your address" in problem["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert 'ip-60s";r=0' in refused.headers["RateLimit"]
    assert "RateLimit-Policy" in refused.headers
    assert len(all_comments()) == 5

    # Another address is not held up.
    elsewhere = submit(post["slug"], "Elsewhere.", author_email="y@example.org")
    assert elsewhere.status_code == 202, elsewhere.get_json()


def test_oidc_identities_have_their_own_higher_limit(post, submit, issuer, discussion, limits):
    discussion(flood_interval=0)
    limits(ratelimit_comments_ip="2/minute", ratelimit_comments_identity="4/minute")
    ip = new_ip()  # everyone behind one address, e.g. a campus
    for n in range(4):
        token = bearer(issuer.mint())
        response = submit(post["slug"], f"Signed {n}.", ip=ip, headers=token)
        assert response.status_code == 202, response.get_json()
        assert "identity-60s" in response.headers["RateLimit-Policy"]
    fifth = submit(post["slug"], "Signed 5.", ip=ip, headers=bearer(issuer.mint()))
    assert fifth.status_code == 429
    assert "your account" in fifth.get_json()["detail"]
    # Another identity at the same address has its own budget, and so do anonymous readers.
    other = bearer(issuer.mint(sub="reader-43"))
    assert submit(post["slug"], "Other.", ip=ip, headers=other).status_code == 202
    for n in range(2):
        anonymous = submit(post["slug"], f"Anon {n}.", ip=ip, author_email=f"a{n}@example.org")
        assert anonymous.status_code == 202
    assert submit(post["slug"], "Anon 3.", ip=ip, author_email="a3@example.org").status_code == 429


def test_bad_tokens_count_against_the_address(post, submit, issuer, limits):
    limits(ratelimit_comments_ip="2/minute")
    ip = new_ip()
    bad = bearer(issuer.mint(aud="elsewhere"))
    assert [submit(post["slug"], ip=ip, headers=bad).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]


def test_a_post_has_a_limit_for_everyone_together(post, publish, submit, discussion, limits):
    discussion(flood_interval=0)
    limits(ratelimit_comments_post="3/minute")
    for n in range(3):
        assert (
            submit(post["slug"], f"Swarm {n}.", author_email=f"s{n}@example.org").status_code == 202
        )
    swamped = submit(post["slug"], "Swarm 4.", author_email="s4@example.org")
    assert swamped.status_code == 429
    assert "this post" in swamped.get_json()["detail"]
    assert submit(publish("Quiet")["slug"], "Hello.").status_code == 202


def test_junk_does_not_burn_a_posts_quota(client, post, submit, discussion, limits):
    """100 requests that do not parse or validate, from ever new addresses, leave the
    post's limit untouched: a real commenter is still let in."""
    discussion(flood_interval=0)
    limits(ratelimit_comments_post="30/minute")
    url = f"/v1/posts/{post['slug']}/comments"
    junk = [
        lambda ip: client.post(
            url, data="{bad", content_type="application/json", environ_base={"REMOTE_ADDR": ip}
        ),
        lambda ip: client.post(
            url, json={"author_name": "No body"}, environ_base={"REMOTE_ADDR": ip}
        ),
        lambda ip: submit(post["slug"], "", ip=ip),
        lambda ip: submit(post["slug"], "Who?", ip=ip, author_email="not an email"),
        lambda ip: submit(post["slug"], "Bad token.", ip=ip, headers=bearer("not.a.jwt")),
    ]
    statuses = {junk[n % len(junk)](new_ip()).status_code for n in range(100)}
    assert statuses <= {400, 401, 415, 422}, statuses

    welcome = submit(post["slug"], "A real remark.", author_email="real@example.org")
    assert welcome.status_code == 202
    state = {m["name"]: int(m["r"]) for m in STATE.finditer(welcome.headers["RateLimit"])}
    assert state["post-60s"] == 29  # only the comment taken was counted


def test_ipv6_clients_are_counted_by_their_64(post, submit, discussion, limits):
    """One subscriber holds a whole /64: a new address from it is the same client."""
    discussion(flood_interval=0)
    limits(ratelimit_comments_ip="2/minute")
    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:abcd:ef01:2345:6789"]
    answers = [
        submit(post["slug"], f"From v6 {n}.", ip=ip, author_email=f"v{n}@example.org").status_code
        for n, ip in enumerate(same_64)
    ]
    assert answers == [202, 202, 429]
    other = submit(post["slug"], "Next door.", ip="2001:db8:1:3::1", author_email="n@example.org")
    assert other.status_code == 202
    mapped = submit(post["slug"], "Mapped.", ip="::ffff:192.0.2.10", author_email="m@example.org")
    assert mapped.status_code == 202


def test_with_rate_limits_off_no_comment_is_counted_or_refused(
    post, submit, discussion, monkeypatch
):
    from api.web.ratelimits import limiter

    monkeypatch.setattr(limiter, "enabled", False)  # as MARGINALIA_RATELIMITS=false
    discussion(flood_interval=0)
    ip = new_ip()
    answers = [
        submit(post["slug"], f"Comment {n}.", ip=ip, author_email=f"off{n}@example.org")
        for n in range(7)  # over the 5 a minute an address may send
    ]
    assert [r.status_code for r in answers] == [202] * 7
    assert not any("RateLimit" in r.headers for r in answers)


def test_reads_are_not_limited(client, post):
    for _ in range(10):
        response = client.get(f"/v1/posts/{post['slug']}/comments")
        assert response.status_code == 200
        assert "RateLimit" not in response.headers


# --- two processes, one Redis ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--threads", "4", "--log-level", "warning", "api.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def _wait_until_up(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited:\n{process.communicate()[0]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not come up")


@pytest.mark.parametrize("storage", ["redis", "memory"])
def test_two_app_processes_share_the_limit_only_through_redis(
    app, publish, discussion, tmp_path, worker_id, storage
):
    """Two real gunicorn processes on two ports, one database. With Redis (which this
    machine runs in both legs of the suite) they admit no more than the limit together;
    with memory:// each counts alone and together they admit twice the limit, which is
    why production runs on Redis (and `serve` warns about several workers without it)."""
    discussion(flood_interval=0)
    # A slug and a client address unique to this run key the counters: nothing to clean
    # up, and nothing shared with other runs on the same Redis.
    post = publish(f"Shared limits {uuid.uuid4().hex[:12]}")
    client_ip = f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    limit, attempts = 4, 12
    redis_url = (
        f"redis://127.0.0.1:6379/{14 + (0 if worker_id == 'master' else int(worker_id[2:]))}"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARGINALIA_")}
    env.update(
        PYTHONPATH=str(ROOT),
        MARGINALIA_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        MARGINALIA_REDIS_URL=redis_url if storage == "redis" else "",
        MARGINALIA_INSTANCE_PATH=str(tmp_path),
        MARGINALIA_SECRET_KEY="test-secret",
        MARGINALIA_SITE_URL=app.config["MARGINALIA"].site_url,
        MARGINALIA_TRUSTED_PROXIES="1",
        MARGINALIA_INLINE_WORKER="false",
        MARGINALIA_DEMO_ON_EMPTY="false",
        MARGINALIA_LOG_LEVEL="WARNING",
        MARGINALIA_RATELIMIT_COMMENTS_IP=f"{limit}/hour",
    )
    ports = [_free_port(), _free_port()]
    servers = [_serve(env, port) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_until_up(f"http://127.0.0.1:{port}", server)
        statuses = []
        for n in range(attempts):
            port = ports[n % 2]
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/posts/{post['slug']}/comments",
                json={"body": f"Attempt {n}.", "author_name": "R", "author_email": f"r{n}@x.org"},
                headers={"X-Forwarded-For": client_ip},
                timeout=10,
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert response.json()["type"] == "/problems/too-many-requests"
                assert "Retry-After" in response.headers
    finally:
        outputs = []
        for server in servers:
            server.terminate()
            outputs.append(server.communicate(timeout=20)[0])
        if storage == "redis":
            connection = redis.Redis.from_url(redis_url)
            for key in connection.scan_iter("huey*"):
                connection.delete(key)  # events the servers queued; no worker consumes them
            connection.close()
    admitted = statuses.count(202)
    assert set(statuses) <= {202, 429}, (statuses, outputs)
    assert admitted == (limit if storage == "redis" else 2 * limit), statuses
