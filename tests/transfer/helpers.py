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
