"""Profile one request path in-process with pyinstrument (what bench/README.md cites).

    MARGINALIA_DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python bench/profile.py \
        /v1/posts?include=author,tags [--cold] [--requests 2000] [--header 'If-None-Match: "..."']

    # comment intake: a JSON body per request ({n} numbers it), each from a new address
    ... bench/profile.py /v1/posts/<slug>/comments --post '{"body": "Hi {n}"}'

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
@click.option("--post", "post_body", default=None, help="POST this JSON; {n} numbers it")
@click.option("--html", type=click.Path(dir_okay=False), default=None)
def main(path, cold, count, headers, post_body, html):
    from pyinstrument import Profiler

    from api.app import create_app
    from config import load_settings

    settings = load_settings(
        response_cache=not cold, ratelimits="false", log_level="WARNING", demo_on_empty="false"
    )
    client = create_app(settings).test_client()
    sent = dict(header.split(": ", 1) for header in headers)

    def send(n: int):
        if post_body is None:
            return client.get(path, headers=sent)
        # A new address each time, as the bench's intake scenario sends (no flood refusal).
        address = f"198.18.{n // 250 % 250}.{n % 250 + 1}"
        return client.post(
            path,
            data=post_body.replace("{n}", str(n)),
            headers={**sent, "Content-Type": "application/json"},
            environ_base={"REMOTE_ADDR": address},
        )

    first = send(0)
    click.echo(f"{first.status_code} {len(first.get_data())} bytes")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for n in range(1, count + 1):
        send(n)
    profiler.stop()
    if html:
        Path(html).write_text(profiler.output_html(), encoding="utf-8")
    click.echo(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
