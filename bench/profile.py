"""Profile one request path in-process with pyinstrument (what bench/README.md cites).

    MARGINALIA_DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python bench/profile.py \
        /v1/posts?include=author,tags [--cold] [--requests 2000] [--header 'If-None-Match: "..."']

    # comment intake: a JSON body per request ({n} numbers it), each from a new address
    ... bench/profile.py /v1/posts/<slug>/comments --post '{"body": "Hi {n}"}'

`--cpu` prints the process CPU milliseconds per request instead (no profiler; compare
changes by it), `--cprofile 40` a cProfile on CPU time (the wall clock of a shared
machine measures the other processes too).

Runs the requests through Flask's test client (no gunicorn, no sockets), so the
profile shows the app's own cost: hooks, routing, arguments, queries, serialisation.
"""

from __future__ import annotations

import ipaddress
import secrets
import sys
import time
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
@click.option(
    "--cpu",
    is_flag=True,
    help="No profiler: the process CPU milliseconds per request (best of 5 rounds)",
)
@click.option(
    "--cprofile",
    "cprofile_lines",
    type=int,
    default=0,
    help="cProfile on CPU time instead of pyinstrument; print this many lines",
)
def main(path, cold, count, headers, post_body, html, cpu, cprofile_lines):

    from api.app import create_app
    from config import load_settings

    settings = load_settings(
        response_cache=not cold, ratelimits="false", log_level="WARNING", demo_on_empty="false"
    )
    client = create_app(settings).test_client()
    sent = dict(header.split(": ", 1) for header in headers)

    run = secrets.token_hex(4)  # {n} is new in every run: no duplicate of an earlier run
    first_address = secrets.randbelow(2**24)

    def send(n: int):
        if post_body is None:
            return client.get(path, headers=sent)
        # A new address each time, as the bench's intake scenario sends (no flood refusal).
        # Random per run: a run right after another must not meet the 15 s flood rule.
        address = str(ipaddress.IPv4Address(0x0A000000 + (first_address + n) % 2**24))
        return client.post(
            path,
            data=post_body.replace("{n}", f"{run}-{n}"),
            headers={**sent, "Content-Type": "application/json"},
            environ_base={"REMOTE_ADDR": address},
        )

    first = send(0)
    click.echo(f"{first.status_code} {len(first.get_data())} bytes")
    if cpu:
        # CPU time, not wall time: on a shared machine the wall clock measures the others.
        rounds, walls, n = [], [], 1
        for _ in range(5):
            started, wall = time.process_time(), time.perf_counter()
            for _ in range(count):
                send(n)
                n += 1
            rounds.append(1000 * (time.process_time() - started) / count)
            walls.append(1000 * (time.perf_counter() - wall) / count)
        click.echo(
            f"CPU ms per request: best {min(rounds):.3f} of "
            + ", ".join(f"{ms:.3f}" for ms in rounds)
            + f"; wall ms: best {min(walls):.3f}"
        )
        return
    if cprofile_lines:
        # This file is named profile.py: cProfile must find the standard library's.
        here = str(Path(__file__).resolve().parent)
        sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
        sys.modules.pop("profile", None)
        import cProfile
        import pstats

        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for n in range(1, count + 1):
            send(n)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(cprofile_lines)
        stats.sort_stats("tottime").print_stats(cprofile_lines)
        return
    from pyinstrument import Profiler

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
