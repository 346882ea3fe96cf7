"""`marginalia export` then `marginalia import marginalia` into an empty database: every
public and staff read answers the same bodies as before (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.conftest import bearer
from tests.moderation.helpers import decide
from tests.transfer.helpers import empty_database, import_file, read_all, row_counts, run_cli


@pytest.fixture
def loopback_hooks(app):
    original = app.config["MARGINALIA"]
    app.config["MARGINALIA"] = dataclasses.replace(original, allow_private_targets=True)
    yield
    app.config["MARGINALIA"] = original


def _site(app, client, admin, wxr_path) -> None:
    """The WordPress fixture, a moderator's decisions, and a webhook endpoint."""
    import_file(app, "wordpress", wxr_path)
    pending = read_all(client, "/v1/moderation/comments?status=pending", admin)
    assert decide(client, admin, pending[0]["id"], "approved").status_code == 200
    assert decide(client, admin, pending[1]["id"], "spam").status_code == 200
    hook = client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["comment.*"], "description": "d"},
        headers=admin,
    )
    assert hook.status_code == 201, hook.get_json()


def _reads(client, admin) -> dict:
    """Every read a reader or a member of staff can make of the site, by URL."""
    seen: dict = {}
    for who, headers in (("public", None), ("staff", admin)):
        for path in ("/v1/posts?limit=100", "/v1/pages?limit=100", "/v1/authors", "/v1/tags"):
            seen[who, path] = read_all(client, path, headers)
        for item in seen[who, "/v1/posts?limit=100"] + seen[who, "/v1/pages?limit=100"]:
            kind = "pages" if item in seen[who, "/v1/pages?limit=100"] else "posts"
            for path in (f"/v1/{kind}/{item['slug']}", f"/v1/posts/{item['slug']}/comments"):
                seen[who, path] = client.get(path, headers=headers or {}).get_json()
        for kind in ("authors", "tags"):
            for item in seen[who, f"/v1/{kind}"]:
                path = f"/v1/{kind}/{item['slug']}"
                seen[who, path] = client.get(path, headers=headers or {}).get_json()
    staff = [
        "/v1/posts?status=draft&limit=100",
        "/v1/pages?status=draft&limit=100",
        "/v1/posts?status=scheduled&limit=100",
        "/v1/moderation/log",
        "/v1/webhooks",
        *(f"/v1/moderation/comments?status={s}" for s in ("pending", "approved", "spam", "trash")),
    ]
    for path in staff:
        seen["staff", path] = read_all(client, path, admin)
    seen["staff", "/v1/moderation/counts"] = client.get(
        "/v1/moderation/counts", headers=admin
    ).get_json()
    for item in seen["staff", "/v1/posts?limit=100"]:
        for path in (
            f"/v1/posts/{item['slug']}/linkbacks",
            f"/v1/posts/{item['slug']}/revisions",  # every version, by whom and when
        ):
            seen["staff", path] = read_all(client, path, admin)
    return seen


def test_export_then_import_answers_every_read_the_same(
    app, client, admin, make_token, wxr_path, tmp_path, loopback_hooks
):
    _site(app, client, admin, wxr_path)
    before = _reads(client, admin)
    counts = row_counts(app)
    export = tmp_path / "site.jsonl"
    result = run_cli(app, "export", "--output", str(export))
    assert result.exit_code == 0, result.output
    header = json.loads(export.read_text().splitlines()[0])
    assert header["format"] == "marginalia-export" and header["version"] == 1
    endpoints = [
        json.loads(line)["data"]
        for line in export.read_text().splitlines()[1:]
        if json.loads(line)["kind"] == "webhook_endpoint"
    ]
    assert len(endpoints) == 1 and not [key for key in endpoints[0] if "secret" in key]

    empty_database(app)
    report = import_file(app, "marginalia", export)
    assert report["totals"]["refused"] == 0
    admin_again = bearer(make_token("admin"))
    after = _reads(client, admin_again)

    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
    restored = row_counts(app)
    for table in (
        *("posts", "authors", "tags", "comments", "moderation_log", "previous_slugs"),
        "post_revisions",
    ):
        assert restored[table] == counts[table], table
    assert counts["post_revisions"] >= counts["posts"] > 0  # every post has its history


def test_an_export_goes_only_into_an_empty_database(app, client, admin, tmp_path, publish):
    publish("Already here")
    export = tmp_path / "site.jsonl"
    assert run_cli(app, "export", "--output", str(export)).exit_code == 0
    before = row_counts(app)
    result = run_cli(app, "import", "marginalia", str(export))
    assert result.exit_code == 1
    assert "not empty" in result.stderr
    assert row_counts(app) == before


def test_ids_continue_after_a_restore(app, client, admin, make_token, tmp_path, publish):
    first = publish("First")
    export = tmp_path / "site.jsonl"
    assert run_cli(app, "export", "--output", str(export)).exit_code == 0
    empty_database(app)
    import_file(app, "marginalia", export)
    headers = bearer(make_token("admin"))
    created = client.post(
        "/v1/posts",
        json={
            "title": "Second",
            "body": "x",
            "author": first["author"]["slug"],
            "status": "published",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["id"] > first["id"]
