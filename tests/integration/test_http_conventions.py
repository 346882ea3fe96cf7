"""HTTP behaviour every endpoint shares: problems, caching, CORS, request ids, limits."""

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_malformed_json_is_a_400(client, admin):
    body = assert_problem(
        client.post(
            "/v1/posts", data="{not json", headers={**admin, "Content-Type": "application/json"}
        ),
        400,
    )
    assert "JSON" in body["detail"]


def test_wrong_types_and_unknown_fields_are_422_with_field_errors(client, admin, author):
    body = assert_problem(
        client.post(
            "/v1/posts",
            json={"title": 42, "comments_open": "maybe", "colour": "red", "author": author["slug"]},
            headers=admin,
        ),
        422,
    )
    assert set(body["errors"]) == {"title", "comments_open", "colour"}


def test_json_that_is_not_an_object_is_refused(client, admin):
    assert_problem(client.post("/v1/posts", json=["a", "list"], headers=admin), 422)
    assert_problem(client.post("/v1/posts", json="a string", headers=admin), 422)


def test_deeply_nested_json_is_refused_cleanly(client, admin):
    nested = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/v1/posts", data=nested, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 413, 422)
    assert response.mimetype == PROBLEM


def test_oversized_body_is_413_and_writes_nothing(client, admin, author, events):
    before = len(events())
    huge = "x" * (10 * 1024 * 1024)
    response = client.post(
        "/v1/posts", json={"title": "big", "body": huge, "author": author["slug"]}, headers=admin
    )
    assert_problem(response, 413)
    assert len(events()) == before
    assert client.get("/v1/posts?status=any", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=10000", "limit=-1", "limit=abc", "limit=99999999999999999999999"]
)
def test_out_of_range_limits_are_422(client, query):
    assert_problem(client.get(f"/v1/posts?{query}"), 422)


@pytest.mark.parametrize(
    "cursor", ["garbage", "WyIyMDE1IiwyXQ", "WyIyMDE1IiwyXQ.forged", "%00%00", "a" * 400]
)
def test_forged_or_truncated_cursors_are_400(client, publish, cursor):
    publish("One")
    publish("Two")
    assert_problem(client.get(f"/v1/posts?limit=1&cursor={cursor}"), 400)


def test_a_real_cursor_cut_short_is_400(client, publish):
    publish("One")
    publish("Two")
    cursor = client.get("/v1/posts?limit=1").get_json()["next"].split("cursor=")[1]
    assert_problem(client.get(f"/v1/posts?limit=1&cursor={cursor[:-3]}"), 400)


def test_cursor_from_one_collection_is_refused_by_another(client, publish, admin):
    publish("One", tags=["a", "b"])
    tag_cursor = client.get("/v1/tags?limit=1").get_json()["next"].split("cursor=")[1]
    assert_problem(client.get(f"/v1/authors?cursor={tag_cursor}"), 400)


def test_invalid_utf8_in_paths_and_queries_is_a_4xx(client, publish):
    publish("One")
    for url in (
        "/v1/posts/%ff%fe",
        "/v1/posts?tag=%ff%fe",
        "/v1/posts?q=%c3%28",
        "/v1/tags/%ed%a0%80",
    ):
        response = client.get(url)
        assert 400 <= response.status_code < 500, url
        assert response.mimetype == PROBLEM


@pytest.mark.parametrize(
    "slug", ["..%2F..%2Fetc%2Fpasswd", "'; DROP TABLE posts; --", "%00", "a%0d%0aSet-Cookie:x=y"]
)
def test_hostile_slugs_are_refused(client, slug):
    response = client.get(f"/v1/posts/{slug}")
    assert_problem(response, 400 if "%00" in slug else 404)


@pytest.mark.parametrize(
    "value", ["' OR 1=1 --", '"; DELETE FROM posts', "%", "_", "\\", "NEAR(a b)", "a* OR b", "\x00"]
)
def test_sql_and_fts_metacharacters_in_filters_are_harmless(client, publish, value):
    publish("Survivor")
    for name in ("tag", "author", "q"):
        response = client.get("/v1/posts", query_string={name: value})
        assert response.status_code in ((400,) if "\x00" in value else (200, 422)), (name, value)
    assert len(client.get("/v1/posts").get_json()["items"]) == 1


def test_unknown_routes_and_methods(client):
    assert_problem(client.get("/v1/nothing-here"), 404)
    response = client.put("/v1/posts")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_etag_and_304_on_resources_and_collections(client, publish):
    post = publish("Cached")
    for url in (
        "/v1/posts",
        f"/v1/posts/{post['slug']}",
        "/v1/tags",
        "/v1/authors",
        "/v1/authors/ada-lovelace",
    ):
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"]
        assert first.headers["Cache-Control"] == "public, max-age=60"
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.get_data() == b""


def test_etag_changes_when_the_resource_changes(client, publish, admin):
    post = publish("Before")
    first = client.get(f"/v1/posts/{post['slug']}").headers["ETag"]
    client.patch(f"/v1/posts/{post['slug']}", json={"title": "After"}, headers=admin)
    response = client.get(f"/v1/posts/{post['slug']}", headers={"If-None-Match": first})
    assert response.status_code == 200
    assert response.get_json()["title"] == "After"


def test_if_match_star_and_matching_etag_are_accepted(client, publish, admin):
    post = publish("Guarded")
    assert (
        client.patch(
            f"/v1/posts/{post['slug']}", json={"title": "One"}, headers={**admin, "If-Match": "*"}
        ).status_code
        == 200
    )
    etag = client.get(f"/v1/posts/{post['slug']}", headers=admin).headers["ETag"]
    assert (
        client.patch(
            f"/v1/posts/{post['slug']}", json={"title": "Two"}, headers={**admin, "If-Match": etag}
        ).status_code
        == 200
    )


def test_request_id_is_echoed_or_made_and_never_reflects_junk(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 300})
    assert hostile.headers["X-Request-ID"] != "<script>" + "x" * 300


def test_request_id_appears_in_problem_bodies(client):
    body = client.get("/v1/posts/missing", headers={"X-Request-ID": "trace-me"}).get_json()
    assert body["request_id"] == "trace-me"


def test_cors_for_frontends(client):
    response = client.get("/v1/posts", headers={"Origin": "https://front.example"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://front.example")
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/v1/posts",
        headers={
            "Origin": "https://front.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, If-Match",
        },
    )
    assert preflight.status_code == 200
    assert "if-match" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_security_headers_on_every_response(client):
    for response in (client.get("/v1/posts"), client.get("/v1/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz").get_json()
    assert ready["checks"]["database"] == "ok"


def test_nul_characters_in_json_are_refused_and_nothing_is_written(client, admin, author):
    response = client.post(
        "/v1/posts", json={"title": "nul\x00here", "author": author["slug"]}, headers=admin
    )
    assert_problem(response, 400)
    assert client.get("/v1/posts?status=any", headers=admin).get_json()["items"] == []


def test_unknown_query_parameters_are_refused_not_ignored(client, publish):
    publish("One")
    body = assert_problem(client.get("/v1/posts?tags=python"), 422)
    assert "tags" in body["errors"]
