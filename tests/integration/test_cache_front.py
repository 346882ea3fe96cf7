"""The response cache's WSGI front: hits answered before Flask, exactly as Flask would."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import request_started
from flask_limiter import Limit
from werkzeug.test import Client, TestResponse

from api.cache.responses import cache_key, response_cache
from api.content.routes import Post
from api.web.clients import client_ip
from api.web.observability import JsonFormatter
from api.web.ratelimits import limiter

ROOT = Path(__file__).resolve().parents[2]
PER_REQUEST = ("X-Request-ID", "Date")


@contextmanager
def dispatches(app):
    """Counts the requests Flask itself dispatched (the front's answers never reach it)."""
    seen: list[str] = []

    def started(sender, **extra):
        from flask import request

        seen.append(request.path)

    with request_started.connected_to(started, app):
        yield seen


def through_flask(app) -> Client:
    """A client of Flask's own wsgi_app, behind the front: today's hit path."""
    return Client(app.wsgi_app.flask_app, TestResponse)


def _shape(response) -> list[tuple[str, str]]:
    return [(k, "<per request>" if k in PER_REQUEST else v) for k, v in response.headers]


@pytest.fixture
def cached(client, publish):
    """A post and a page of posts with a Link header, each already in the cache."""
    publish("First")
    post = publish("Second")
    paths = {"detail": f"/v1/posts/{post['slug']}", "list": "/v1/posts?limit=1"}
    etags = {name: client.get(path).headers["ETag"] for name, path in paths.items()}
    return paths, etags


CASES = {
    "plain": ("GET", {}),
    "head": ("HEAD", {}),
    "strong etag": ("GET", {"If-None-Match": "{etag}"}),
    "weak etag": ("GET", {"If-None-Match": "W/{etag}"}),
    "etag in a list": ("GET", {"If-None-Match": '"other", W/"x", {etag}'}),
    "star": ("GET", {"If-None-Match": "*"}),
    "stale etag": ("GET", {"If-None-Match": '"other"'}),
    "empty if-none-match": ("GET", {"If-None-Match": ""}),
    "head with etag": ("HEAD", {"If-None-Match": "{etag}"}),
    "origin": ("GET", {"Origin": "https://blog.example"}),
    "origin and etag": ("GET", {"Origin": "https://blog.example", "If-None-Match": "{etag}"}),
    "private network": (
        "GET",
        {"Origin": "http://10.0.0.1", "Access-Control-Request-Private-Network": "true"},
    ),
    "ignored headers": (
        "GET",
        {"Range": "bytes=0-9", "Cookie": "a=b", "If-Unmodified-Since": "Tue, 01 Jan 2030"},
    ),
}


@pytest.mark.parametrize("resource", ["detail", "list"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_front_hit_is_what_flasks_hit_path_sends(app, client, cached, resource, case):
    paths, etags = cached
    method, headers = CASES[case]
    headers = {k: v.replace("{etag}", etags[resource]) for k, v in headers.items()}
    with dispatches(app) as flask_saw:
        early = client.open(paths[resource], method=method, headers=headers)
    assert flask_saw == []  # the front answered
    with dispatches(app) as flask_saw:
        built = through_flask(app).open(paths[resource], method=method, headers=headers)
    assert flask_saw  # Flask's before_request hook answered, from the same entry

    assert early.status_code == built.status_code
    assert early.get_data() == built.get_data()
    assert _shape(early) == _shape(built)
    assert [k for k, _ in early.headers].count("Date") == [k for k, _ in built.headers].count(
        "Date"
    )
    assert len(early.headers["X-Request-ID"]) == 32


def test_the_request_id_and_the_access_log_line_are_flasks(app, client, cached, caplog):
    paths, _ = cached
    with caplog.at_level(logging.INFO, logger="marginalia.access"):
        with dispatches(app) as flask_saw:
            echoed = client.get(paths["list"], headers={"X-Request-ID": "trace-42"})
            junk = client.get(paths["list"], headers={"X-Request-ID": "<b>x</b>"})
        assert flask_saw == []
        through_flask(app).get(paths["list"], headers={"X-Request-ID": "trace-43"})
    assert echoed.headers["X-Request-ID"] == "trace-42"
    assert junk.headers["X-Request-ID"] != "<b>x</b>"
    lines = [r for r in caplog.records if r.name == "marginalia.access"]
    assert [r.fields["path"] for r in lines] == ["/v1/posts"] * 3
    assert [(r.fields["method"], r.fields["status"]) for r in lines] == [("GET", 200)] * 3
    assert lines[0].fields.keys() == lines[2].fields.keys()
    # Outside Flask there is no `g` to take the id from: the front hands it over.
    line = json.loads(JsonFormatter().format(lines[0]))
    assert list(line) == [
        *("time", "level", "logger", "message", "request_id"),
        *("method", "path", "status", "ms"),
    ]
    assert line["request_id"] == "trace-42"


def test_a_write_through_the_api_is_seen_by_the_next_front_read(app, client, admin, publish):
    post = publish("Before")
    path = f"/v1/posts/{post['slug']}"
    etag = client.get(path).headers["ETag"]
    with dispatches(app) as flask_saw:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert flask_saw == []
    client.patch(path, json={"title": "After"}, headers=admin)
    with dispatches(app) as flask_saw:
        fresh = client.get(path, headers={"If-None-Match": etag})
        again = client.get(path)
    assert fresh.status_code == 200 and fresh.get_json()["title"] == "After"
    assert flask_saw == [path]  # the stale entry went to Flask once, then the front again
    assert again.get_json()["title"] == "After"


def test_a_write_by_another_process_is_seen_by_the_front(app, client, publish, test_settings):
    publish("Tagged", tags=["alpha"])
    assert client.get("/v1/tags/alpha").get_json()["name"] == "alpha"
    with dispatches(app) as flask_saw:
        assert client.get("/v1/tags/alpha").get_json()["name"] == "alpha"
    assert flask_saw == []
    rename = (
        "from api.app import create_app\n"
        "from api.content.taxonomy import tags\n"
        "from api.demo.loader import SYSTEM\n"
        "from config import load_settings\n"
        "from api.infra.unit_of_work import unit_of_work\n"
        "with create_app(load_settings()).app_context(), unit_of_work():\n"
        "    tags.update(SYSTEM, 'alpha', {'name': 'Alpha'}, None)\n"
    )
    env = {
        **os.environ,
        "MARGINALIA_DATABASE_URL": test_settings.database_url,
        "MARGINALIA_SECRET_KEY": "test-secret",
        "MARGINALIA_INSTANCE_PATH": test_settings.instance_path,
        "MARGINALIA_DEMO_ON_EMPTY": "false",
        "MARGINALIA_LOG_LEVEL": "WARNING",
        "MARGINALIA_REDIS_URL": "",
    }
    subprocess.run([sys.executable, "-c", rename], cwd=ROOT, env=env, check=True, timeout=60)
    assert client.get("/v1/tags/alpha").get_json()["name"] == "Alpha"


def test_authorization_always_goes_to_flask(app, client, admin, cached):
    paths, _ = cached
    with dispatches(app) as flask_saw:
        staff = client.get(paths["detail"], headers=admin)
        refused = client.get(paths["detail"], headers={"Authorization": "Bearer mgl_nope"})
        conditional = client.get(paths["detail"], headers={**admin, "If-None-Match": "*"})
    assert len(flask_saw) == 3
    assert "body" in staff.get_json()
    assert staff.headers["Cache-Control"] == "private, no-store"
    assert refused.status_code == 401
    assert conditional.headers["Cache-Control"] == "private, no-store"


def test_writes_and_preflights_go_to_flask(app, client, cached):
    paths, _ = cached
    preflight = {"Origin": "https://blog.example", "Access-Control-Request-Method": "GET"}
    with dispatches(app) as flask_saw:
        answered = client.options(paths["detail"], headers=preflight)
        refused = client.post(paths["detail"], json={})
    assert len(flask_saw) == 2
    assert answered.headers["Access-Control-Allow-Origin"] == "https://blog.example"
    assert answered.headers["Access-Control-Max-Age"] == "600"
    assert refused.status_code == 405


def test_if_match_and_if_modified_since_are_left_to_flask(app, client, cached):
    paths, etags = cached
    with dispatches(app) as flask_saw:
        precondition = client.get(
            paths["detail"], headers={"If-None-Match": "W/" + etags["detail"], "If-Match": '"x"'}
        )
        since = client.get(paths["detail"], headers={"If-Modified-Since": "Tue, 01 Jan 2030"})
    assert len(flask_saw) == 2
    assert precondition.status_code == 412  # werkzeug's make_conditional, as before
    assert since.status_code == 200 and "Date" in since.headers


def test_only_entries_flask_stored_are_served(app, client, publish):
    with dispatches(app) as flask_saw:
        for _ in range(2):
            assert client.get("/v1/posts/nothing-here").status_code == 404
            assert client.get("/v1/events").status_code == 401
    assert len(flask_saw) == 4
    cache = response_cache(app)
    assert cache.peek(("", "/v1/posts/nothing-here", "")) is None


def test_comment_threads_are_served_early_and_their_reads_never_limited(app, client, publish):
    """The only limits on a cached view are on submitting comments (POST): reads of the
    thread are never counted, before or after a submission, so the front answers them."""
    post = publish("Discussed")
    path = f"/v1/posts/{post['slug']}/comments"
    submitted = client.post(
        path, json={"body": "Hello", "author_name": "A", "author_email": "a@example.org"}
    )
    assert "RateLimit" in submitted.headers
    client.get(path)
    with dispatches(app) as flask_saw:
        reads = [client.get(path) for _ in range(40)]
    assert flask_saw == []
    assert {r.status_code for r in reads} == {200}
    assert not any("RateLimit" in r.headers for r in reads)


@pytest.fixture
def limiter_registries(monkeypatch):
    """Flask-Limiter keeps its limits in registries of its own: give the test copies."""
    manager = limiter.limit_manager
    monkeypatch.setattr(manager, "_decorated_limits", dict(manager._decorated_limits))
    monkeypatch.setattr(manager, "_default_limits", list(manager._default_limits))
    monkeypatch.setattr(manager, "_endpoint_hints", {})
    monkeypatch.setattr(limiter, "_marked_for_limiting", set(limiter._marked_for_limiting))
    return manager


def test_reads_a_limit_on_the_view_counts_are_never_cached(
    app, client, publish, limiter_registries, monkeypatch
):
    """Flask-Limiter counts a limit on the view when the view runs: serving such reads
    from the cache, in the front or in Flask's hook, would let them through uncounted."""
    monkeypatch.setattr(Post, "get", limiter.limit("2/minute")(Post.get))
    post = publish("Popular")
    path = f"/v1/posts/{post['slug']}"
    with dispatches(app) as flask_saw:
        statuses = [client.get(path).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(flask_saw) == 3
    assert response_cache(app).peek(cache_key({"PATH_INFO": path})) is None


def test_reads_an_app_wide_limit_counts_are_left_to_flask_and_counted(
    app, client, publish, limiter_registries
):
    """A default limit is counted in Flask-Limiter's own before_request hook, ahead of
    the cache's: Flask's hit path still counts it, so only the front must stay away."""
    limiter_registries.set_default_limits(
        [Limit(limit_provider="3/minute", key_function=client_ip).bind(limiter)]
    )
    post = publish("Popular")
    path = f"/v1/posts/{post['slug']}"
    client.get(path)  # the miss that stores the entry
    hits = response_cache(app).hits
    with dispatches(app) as flask_saw:
        second, third, fourth = (client.get(path) for _ in range(3))
    assert len(flask_saw) == 3  # the front never answered
    assert response_cache(app).hits == hits + 2  # ... but Flask's hook did, from the cache
    assert (second.status_code, third.status_code, fourth.status_code) == (200, 200, 429)
    assert second.headers["RateLimit"] == '"limit-60s";r=1;t=60'
    assert not response_cache(app).peek(cache_key({"PATH_INFO": path})).early
