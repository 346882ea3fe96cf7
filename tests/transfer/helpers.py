"""Running `marginalia import …` as a user would, against the test app."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from api.cli import cli
from api.infra.database import db


def run_cli(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))


def import_file(app, kind: str, path, *options: str) -> dict:
    """Import and hand back the JSON report; the command must succeed."""
    result = run_cli(app, "import", kind, str(path), "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{") :])


def row_counts(app) -> dict[str, int]:
    """How many rows every table holds: "the database as it was"."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def empty_database(app) -> None:
    """Every table emptied, as a new installation's database (and no cached reads)."""
    from sqlalchemy import text

    from api.cache.responses import response_cache

    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608
        db.session.commit()
        db.session.remove()
    if cache := response_cache(app):
        cache.clear()


def read_all(client, path: str, headers=None) -> list:
    """Every item of a collection, following `next` links."""
    items: list = []
    url = path
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, (url, response.get_json())
        page = response.get_json()
        items += page["items"]
        url = page.get("next")
        if url and not url.startswith("/"):
            url = "/v1/" + url.removeprefix("./")
    return items
