"""Benchmark the real server against the bare-Flask ceiling, in one run.

    .venv/bin/python bench/run.py [--db sqlite|postgres] [--quick]

For each dataset scale (10k, then 1M comments over 10k posts; --quick: 10k only and
short runs): load the data, start `marginalia serve` (gunicorn, --workers 2) with the
response cache on, measure the warm scenarios, restart it with the cache off for the
cold ones. Then the ceiling (a bare Flask app under the same gunicorn settings)
returns each scenario's own body. Load comes from wrk (or a Python driver) in another
process, on 127.0.0.1 only. The table is printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from load import Result, driver_name, measure  # noqa: E402
from scenarios import SCENARIOS, Context, Scenario  # noqa: E402

WORKERS, THREADS, CONNECTIONS = 2, 8, 16
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/13"
CLI = [sys.executable, "-c", "from api.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database(kind: str):
    """A fresh database (SQLite file or PostgreSQL schema + Redis db), removed after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="marginalia-bench-") as folder:
            yield {"MARGINALIA_DATABASE_URL": f"sqlite:///{folder}/bench.db"}
        return
    import redis
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    redis.Redis.from_url(REDIS).flushdb()
    try:
        yield {
            "MARGINALIA_DATABASE_URL": f"{POSTGRES}?options={quote(f'-csearch_path={schema}')}",
            "MARGINALIA_REDIS_URL": REDIS,
        }
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
        redis.Redis.from_url(REDIS).flushdb()


def base_env(db_env: dict, instance: str) -> dict:
    return {
        **os.environ,
        **db_env,
        "MARGINALIA_INSTANCE_PATH": instance,
        "MARGINALIA_SECRET_KEY": "bench-secret",
        "MARGINALIA_RATELIMITS": "false",  # measuring the API, not the limiter's refusals
        "MARGINALIA_DEMO_ON_EMPTY": "false",
        "MARGINALIA_LOG_LEVEL": "WARNING",
    }


@contextmanager
def server(command: list[str], env: dict, port: int):
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer {url} within 60s")


def app_server(env: dict, *, cache: bool):
    port = free_port()
    env = {**env, "MARGINALIA_PORT": str(port), "MARGINALIA_RESPONSE_CACHE": str(cache).lower()}
    return server([*CLI, "serve", "--workers", str(WORKERS), "--threads", str(THREADS)], env, port)


def ceiling_server(bodies: dict[str, str], folder: str):
    port = free_port()
    path = Path(folder) / "ceiling-bodies.json"
    path.write_text(json.dumps(bodies), encoding="utf-8")
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
        "--worker-class", "gthread", "--threads", str(THREADS), "--keep-alive", "5",
        "--graceful-timeout", "10", "--bind", f"127.0.0.1:{port}",
        "--chdir", str(BENCH), "ceiling:create_app()",
    ]
    return server(command, {**os.environ, "BENCH_BODIES": str(path)}, port)


def token(env: dict, role: str) -> str:
    output = subprocess.run(  # noqa: S603
        [*CLI, "token", "create", "--role", role], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True,
    )
    return output.stdout.strip().splitlines()[-1]


def operations(base_url: str) -> set[str]:
    import yaml

    with urllib.request.urlopen(base_url + "/openapi.yaml") as response:  # noqa: S310
        document = yaml.safe_load(response.read())
    return {f"{method} {path}" for path, ops in document["paths"].items() for method in ops}


def fetch_body(base_url: str, request) -> str:
    data = request.body.encode() if request.body is not None else None
    headers = {k: v for k, v in request.headers.items() if k != "If-None-Match"}
    call = urllib.request.Request(
        base_url + request.path, data=data, headers=headers, method=request.method
    )
    with urllib.request.urlopen(call) as response:  # noqa: S310
        return response.read().decode()


def run_scale(scale: int, args, env: dict, ctx_tokens: dict, bodies: dict) -> dict:
    subprocess.run(  # noqa: S603
        [sys.executable, str(BENCH / "dataset.py"), "--posts", str(args.posts),
         "--comments", str(scale)], cwd=ROOT, env=env, check=True,
    )
    results: dict[str, Result | str] = {}
    for cache in (True, False):
        chosen = [s for s in SCENARIOS if s.cache == cache]
        with app_server(env, cache=cache) as url:
            available = operations(url)
            ctx = Context(url, **ctx_tokens)
            for item in chosen:
                if item.needs and item.needs not in available:
                    results[item.name] = "not built"
                    continue
                request = item.build(ctx)
                bodies.setdefault(item.ceiling or item.name, fetch_body(url, request))
                measure(url, request, seconds=1, connections=CONNECTIONS)  # warm-up
                results[item.name] = measure(
                    url, request, seconds=args.seconds, connections=CONNECTIONS
                )
                print(f"  {scale:>9,} comments  {item.name:<22} {describe(results[item.name])}")
    return results


def describe(result: Result | str) -> str:
    if isinstance(result, str):
        return result
    errors = f"  ERRORS {result.errors}" if result.errors else ""
    return f"{result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms{errors}"


def verdict(item: Scenario, result: Result, ceiling: Result | None) -> str:
    if item.target is None:
        return ""
    kind, value = item.target
    got = result.rps / ceiling.rps if kind == "ratio" and ceiling else result.rps
    wanted = f"≥ {value:.0%}" if kind == "ratio" else f"≥ {value:.0f} req/s"
    return f"{wanted} {'ok' if got >= value else 'MISSED'}"


def report(args, by_scale: dict, ceilings: dict[str, Result]) -> str:
    commit = git("rev-parse", "--short", "HEAD")
    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--", "api", "bench") else ""
    lines = [
        f"# Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}{dirty}, {args.db}",
        "",
        f"gunicorn gthread, {WORKERS} workers x {THREADS} threads for the app and the ceiling; "
        f"{driver_name()} with {CONNECTIONS} connections, {args.seconds:.0f}s per scenario "
        f"after a 1s warm-up; {args.posts:,} posts, 500 authors, 2,000 tags; "
        f"{os.cpu_count()} cores. Ratio = req/s over the bare-Flask ceiling returning the "
        "same body.",
        "",
        "| scenario | comments | req/s | p50 ms | p99 ms | ceiling req/s | ratio | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scale, results in by_scale.items():
        for item in SCENARIOS:
            result = results.get(item.name)
            if isinstance(result, str) or result is None:
                lines.append(f"| {item.name} | {scale:,} | {result or 'skipped'} | | | | | |")
                continue
            ceiling = ceilings.get(item.ceiling or item.name)
            ratio = f"{result.rps / ceiling.rps:.0%}" if ceiling else ""
            errors = f" ({result.errors} errors)" if result.errors else ""
            lines.append(
                f"| {item.name} | {scale:,} | {result.rps:,.0f}{errors} | {result.p50_ms:.2f} "
                f"| {result.p99_ms:.2f} | {ceiling.rps:,.0f} | {ratio} "
                f"| {verdict(item, result, ceiling)} |"
            )
    lines += ["", "| ceiling body | bytes | req/s | p50 ms | p99 ms |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, result in ceilings.items():
        lines.append(f"| {name} | {args.body_sizes[name]:,} | {result.rps:,.0f} "
                     f"| {result.p50_ms:.2f} | {result.p99_ms:.2f} |")
    scales = list(by_scale)
    if len(scales) > 1:
        small, large = scales[0], scales[-1]
        lines += ["", f"Cost at {large:,} comments over cost at {small:,} (target ≤ 1.5×):", ""]
        for item in SCENARIOS:
            a, b = by_scale[small].get(item.name), by_scale[large].get(item.name)
            if isinstance(a, Result) and isinstance(b, Result) and b.rps:
                cost = a.rps / b.rps
                lines.append(f"- {item.name}: {cost:.2f}× {'ok' if cost <= 1.5 else 'MISSED'}")
    return "\n".join(lines) + "\n"


def git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False  # noqa: S607
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="10k comments only, 3s runs")
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args()
    args.seconds = 3.0 if args.quick else 10.0
    scales = [10_000] if args.quick else [10_000, 1_000_000]
    print(f"Benchmark on {args.db} with {driver_name()}; scales {scales}")
    bodies: dict[str, str] = {}
    by_scale = {}
    with database(args.db) as db_env, tempfile.TemporaryDirectory() as folder:
        env = base_env(db_env, folder)
        subprocess.run([*CLI, "db", "upgrade"], cwd=ROOT, env=env, check=True,  # noqa: S603
                       capture_output=True)
        tokens = {"admin_token": token(env, "admin"), "moderator_token": token(env, "moderator")}
        for scale in scales:
            by_scale[scale] = run_scale(scale, args, env, tokens, bodies)
        ceilings = {}
        with ceiling_server(bodies, folder) as url:
            for name in bodies:
                from scenarios import Request

                measure(url, Request(f"/{quote(name)}"), seconds=1, connections=CONNECTIONS)
                ceilings[name] = measure(
                    url, Request(f"/{quote(name)}"), seconds=args.seconds, connections=CONNECTIONS
                )
                print(f"  ceiling {name:<30} {describe(ceilings[name])}")
    args.body_sizes = {name: len(body.encode()) for name, body in bodies.items()}
    table = report(args, by_scale, ceilings)
    print()
    print(table)
    commit = git("rev-parse", "--short", "HEAD")
    out = BENCH / "results" / f"{datetime.now(UTC):%Y-%m-%d}-{commit}-{args.db}.md"
    out.write_text(table, encoding="utf-8")
    print(f"Wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
