"""The `marginalia` command: serve, worker, demo, purge, token, openapi (and Flask-Migrate's db)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from api.serving.limits import BODY_TIMEOUT, HEADER_TIMEOUT
from config import ConfigError, load_settings

log = logging.getLogger(__name__)


def _create_app():
    from api.app import create_app

    try:
        return create_app(load_settings())
    except ConfigError as exc:
        click.echo(f"marginalia: {exc}", err=True)
        sys.exit(2)


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def cli():
    """Marginalia: a headless CMS with moderated comments, pingbacks and webhooks."""


def upgrade_database() -> None:
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


@cli.command()
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="gunicorn worker processes (default: MARGINALIA_WORKERS or 1)",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Flask threads per worker process (see docs/serving.md for why not more)",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(0.5, 300),
    default=HEADER_TIMEOUT,
    show_default=True,
    help="seconds a client has to send a request's headers (then 408)",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(0.5, 3600),
    default=BODY_TIMEOUT,
    show_default=True,
    help="seconds a client has to send a request's body (then 408)",
)
@with_appcontext
def serve(workers, threads, header_timeout, body_timeout):
    """Migrate, load the demo on an empty database, and serve with gunicorn."""
    from api.demo.loader import load_demo
    from api.server import Server
    from api.serving.limits import ReadLimits

    settings = current_app.config["MARGINALIA"]
    workers = workers or settings.workers
    upgrade_database()
    if settings.demo_on_empty and load_demo():
        click.echo("Loaded the demo content.")
    if workers > 1 and not settings.uses_redis:
        log.warning(
            "%d workers with memory:// rate limits and caches: limits are per "
            "process; set MARGINALIA_REDIS_URL for correct limits",
            workers,
        )
    click.echo(f"Marginalia on http://{settings.host}:{settings.port}/v1/posts")
    limits = ReadLimits(
        max_body_bytes=settings.max_body_bytes,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
    )
    Server(settings, workers=workers, threads=threads, limits=limits).run()


@cli.command()
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True)
@with_appcontext
def worker(threads):
    """Run the task consumer (scheduled posts, event fan-out, deliveries)."""
    from api.worker import run_consumer

    run_consumer(workers=threads)


@cli.command()
@with_appcontext
def demo():
    """Load the demo content (the seed page) unless it is there already."""
    from api.demo.loader import load_demo

    upgrade_database()
    steps = ["author", "tag", "tag", "tag", "post", "linking post", "comments", "pingback"]
    with click.progressbar(length=len(steps), label="Loading demo") as bar:
        loaded = load_demo(progress=lambda step: bar.update(1))
    click.echo("Demo content loaded." if loaded else "Demo content was already there.")


@cli.command()
@with_appcontext
def purge():
    """Delete spam and trash older than the discussion settings' purge days."""
    from api.moderation import purge as purging

    settings = current_app.config["MARGINALIA"]
    upgrade_database()
    total = purging.due(settings)
    with click.progressbar(length=total, label="Purging spam and trash") as bar:
        deleted = purging.purge(settings, progress=bar.update)
    click.echo(f"Purged {deleted} comments (each has a 'purged' entry in the moderation log).")


@cli.group()
def token():
    """Staff tokens."""


@token.command("create")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "editor", "author", "moderator", "event-reader"]),
)
@click.option("--name", default=None, help="What the token is for (default: the role)")
@click.option("--author", "author_slug", default=None, help="Author slug, for author tokens")
@with_appcontext
def token_create(role, name, author_slug):
    """Issue a token and print it once."""
    from api.auth.tokens import create_token
    from api.errors import DomainError
    from api.infra.unit_of_work import unit_of_work

    upgrade_database()
    try:
        with unit_of_work():
            _, plain = create_token(name or role, role, author_slug)
    except DomainError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items())
        raise click.ClickException(detail or exc.detail) from None
    click.echo(plain)


@cli.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("openapi.yaml"),
    show_default=True,
)
@with_appcontext
def openapi(output):
    """Write the OpenAPI contract generated from the code."""
    from api.web.meta import openapi_document

    output.write_text(openapi_document(current_app), encoding="utf-8")
    click.echo(f"Wrote {output}")


@cli.group("import")
def import_group():
    """Import content from another platform (or a Marginalia export)."""


class _Bars:
    """Two progress bars for an import: checking the file, then writing it."""

    def __init__(self, path: Path, label: str):
        from api.transfer.source import source_size

        self.size = source_size(path) or 0
        self.label = label
        self._bars: dict[str, object] = {}

    def callback(self, phase: str):
        def advance(total: int) -> None:
            bar = self._bars.get(phase)
            if bar is None:
                for other in self._bars.values():
                    other.render_finish()
                bar = self._bars[phase] = click.progressbar(
                    length=self.size or 1, label=f"{phase} {self.label}", file=sys.stderr
                )
                bar.render_progress()
            bar.update(min(total, self.size) - bar.pos)

        return advance

    def finish(self) -> None:
        for bar in self._bars.values():
            bar.render_finish()


def _run_import(kind: str, path: Path, importer, as_json: bool, **options) -> None:
    from api.transfer.errors import ImportFileError

    upgrade_database()
    bars = _Bars(path, path.name)
    try:
        report = importer(
            path,
            checking=bars.callback("Checking"),
            importing=bars.callback("Importing"),
            **options,
        )
    except ImportFileError as exc:
        bars.finish()
        click.echo(f"marginalia import {kind}: {path.name}: {exc.message}", err=True)
        sys.exit(1)
    bars.finish()
    click.echo(report.to_json() if as_json else report.to_table())


_DRY_RUN = click.option("--dry-run", is_flag=True, help="report what would change, write nothing")
_EMIT = click.option(
    "--emit-events",
    is_flag=True,
    help="record an event for every item (webhooks hear of each) besides import.completed",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
_FILE = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@import_group.command("wordpress")
@_FILE
@_DRY_RUN
@_EMIT
@_JSON
@with_appcontext
def import_wordpress(file, dry_run, emit_events, as_json):
    """Import a WordPress export (WXR, Tools → Export): authors, categories and tags,
    posts, pages, comments and pingbacks."""
    from api.transfer.wordpress_import import import_wordpress as run

    _run_import("wordpress", file, run, as_json, dry_run=dry_run, emit_events=emit_events)


@import_group.command("disqus")
@_FILE
@_DRY_RUN
@_EMIT
@_JSON
@with_appcontext
def import_disqus(file, dry_run, emit_events, as_json):
    """Import a Disqus export (XML, decompressed): comments onto the posts whose URL
    or old URL is their thread's link; unmatched threads are reported."""
    from api.transfer.disqus_import import import_disqus as run

    site_url = current_app.config["MARGINALIA"].site_url
    _run_import(
        "disqus", file, run, as_json, site_url=site_url, dry_run=dry_run, emit_events=emit_events
    )


@import_group.command("ghost")
@_FILE
@click.option("--site-url", default="", help="the Ghost site's URL, for its __GHOST_URL__ links")
@_DRY_RUN
@_EMIT
@_JSON
@with_appcontext
def import_ghost(file, site_url, dry_run, emit_events, as_json):
    """Import a Ghost export (JSON): users as authors, tags, posts and pages."""
    from api.transfer.ghost_import import import_ghost as run

    _run_import(
        "ghost", file, run, as_json, site_url=site_url, dry_run=dry_run, emit_events=emit_events
    )


@import_group.command("marginalia")
@_FILE
@_DRY_RUN
@_JSON
@with_appcontext
def import_marginalia(file, dry_run, as_json):
    """Restore a Marginalia export (`marginalia export`) into an empty database."""
    from api.transfer.exporting import import_marginalia as run

    _run_import("marginalia", file, run, as_json, dry_run=dry_run)


@cli.command("export")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="the file to write (default: standard output)",
)
@with_appcontext
def export(output):
    """Export everything as JSON Lines (webhook endpoints without their secrets)."""
    from api.infra.database import db
    from api.transfer.exporting import export_all

    upgrade_database()
    site_url = current_app.config["MARGINALIA"].site_url
    try:
        if output is None:
            counts = export_all(sys.stdout.buffer, site_url=site_url)
        else:
            with output.open("wb") as out:
                counts = export_all(out, site_url=site_url)
    finally:
        db.session.rollback()
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing"
    click.echo(f"Exported {summary}.", err=True)


@cli.command("event-types")
def event_types():
    """Print the event types, as the README's table lists them."""
    from api.events.catalogue import markdown_table

    click.echo(markdown_table(), nl=False)


def main():
    cli(prog_name="marginalia")
