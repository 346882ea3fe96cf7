"""Profile one request path in-process with pyinstrument (what bench/README.md cites).

    MARGINALIA_DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python bench/profile.py \
        /v1/posts?include=author,tags [--cold] [--requests 2000] [--header 'If-None-Match: "..."']

Runs the requests through Flask's test client (no gunicorn, no sockets), so the
profile shows the app's own cost: hooks, routing, arguments, queries, serialisation.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.argument("path")
@click.option("--cold", is_flag=True, help="Response cache off")
@click.option("--requests", "count", default=2000, show_default=True)
@click.option("--header", "headers", multiple=True, help="'Name: value', repeatable")
@click.option("--html", type=click.Path(dir_okay=False), default=None)
def main(path, cold, count, headers, html):
    from pyinstrument import Profiler

    from api.app import create_app
    from config import load_settings

    settings = load_settings(
        response_cache=not cold, ratelimits="false", log_level="WARNING", demo_on_empty="false"
    )
    client = create_app(settings).test_client()
    sent = dict(header.split(": ", 1) for header in headers)
    first = client.get(path, headers=sent)
    click.echo(f"{first.status_code} {len(first.get_data())} bytes")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        client.get(path, headers=sent)
    profiler.stop()
    if html:
        Path(html).write_text(profiler.output_html(), encoding="utf-8")
    click.echo(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
