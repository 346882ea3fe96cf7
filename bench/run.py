"""Benchmark the real server against the bare-Flask ceiling, in one run.

    .venv/bin/python bench/run.py [--db sqlite|postgres] [--quick] [--peer isso|isso-wal]

For each dataset scale (10k, then 1M comments over 10k posts; --quick: 10k only and
short runs): load the data, start `marginalia serve` (gunicorn, --workers 2) with the
response cache on, measure the warm scenarios, restart it with the cache off for the
cold ones. Then the ceiling (a bare Flask app under the same gunicorn settings)
returns each scenario's own body. Load comes from wrk (or a Python driver) in another
process, on 127.0.0.1 only. The table is printed and written to bench/results/.
`--peer isso` also runs Isso 0.14 (bench/isso_peer.py) and reports our comment intake and
thread reads as ratios to Isso's, measured in alternating rounds like the ceiling.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import isso_peer
from load import Result, driver_name, measure
from scenarios import SCENARIOS, Context, Request, Scenario

# `marginalia serve`'s default threads; Isso gets the same (it measured the same with 8).
WORKERS, THREADS, CONNECTIONS = 2, 4, 16
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# MARGINALIA_BENCH_REDIS picks another Redis (a shared machine: your own port).
REDIS = os.environ.get("MARGINALIA_BENCH_REDIS", "redis://127.0.0.1:6379/13")
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
        "MARGINALIA_TRUSTED_PROXIES": "1",  # intake comes from many (X-Forwarded-For) clients
        "MARGINALIA_DEMO_ON_EMPTY": "false",
        "MARGINALIA_LOG_LEVEL": "WARNING",
    }


class Served(str):
    """A running server's base URL that can also tell the CPU time its processes used."""

    pid: int

    def cpu_seconds(self) -> float:
        """User + system time of the server and its children (gunicorn workers), so a
        request's CPU cost can be read on a busy machine where req/s cannot."""
        return sum(_cpu_of(pid) for pid in _process_tree(self.pid))


def _process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(command: list[str], env: dict, port: int):
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        served = Served(f"http://127.0.0.1:{port}")
        served.pid = process.pid
        yield served
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
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer {url} within 60s")


def app_server(env: dict, *, cache: bool):
    port = free_port()
    env = {**env, "MARGINALIA_PORT": str(port), "MARGINALIA_RESPONSE_CACHE": str(cache).lower()}
    return server([*CLI, "serve", "--workers", str(WORKERS), "--threads", str(THREADS)], env, port)


def ceiling_server(folder: Path):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--keep-alive",
        "5",
        "--graceful-timeout",
        "10",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(BENCH),
        "ceiling:create_app()",
    ]
    return server(command, {**os.environ, "BENCH_BODIES": str(folder)}, port)


def token(env: dict, role: str) -> str:
    output = subprocess.run(
        [*CLI, "token", "create", "--role", role],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return output.stdout.strip().splitlines()[-1]


def operations(base_url: str) -> set[str]:
    import yaml

    with urllib.request.urlopen(base_url + "/openapi.yaml") as response:
        document = yaml.safe_load(response.read())
    return {f"{method} {path}" for path, ops in document["paths"].items() for method in ops}


def fetch_body(base_url: str, request) -> str:
    data = request.body.encode() if request.body is not None else None
    headers = {k: v for k, v in request.headers.items() if k != "If-None-Match"}
    call = urllib.request.Request(
        base_url + request.path, data=data, headers=headers, method=request.method
    )
    with urllib.request.urlopen(call) as response:
        return response.read().decode()


def run_scale(scale: int, args, env: dict, tokens: dict, ceiling_url: str, folder: Path, peer=None):
    """Each scenario and its ceiling in alternating rounds, so both see the same machine
    (other processes come and go); the best round of each side is reported."""
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "dataset.py"),
            "--posts",
            str(args.posts),
            "--comments",
            str(scale),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    results: dict[str, tuple[Result, Result] | str] = {}
    for cache in (True, False):
        chosen = [
            s for s in SCENARIOS if s.cache == cache and (not args.only or args.only in s.name)
        ]
        if not chosen:
            continue
        with app_server(env, cache=cache) as url:
            available = operations(url)
            ctx = Context(url, **tokens)
            for item in chosen:
                if item.needs and item.needs not in available:
                    results[item.name] = "not built"
                    continue
                request = item.build(ctx)
                body_name = slug(item.ceiling or item.name)
                body_file = folder / f"{body_name}.json"
                if not body_file.exists():
                    body_file.write_text(fetch_body(url, request), encoding="utf-8")
                ceiling_request = Request(f"/{body_name}")
                measure(url, request, seconds=1, connections=CONNECTIONS)  # warm-up
                measure(ceiling_url, ceiling_request, seconds=1, connections=CONNECTIONS)
                peer_request = peer.request_for(item.name) if peer else None
                if peer_request:
                    peer_url = Served(peer.url)
                    peer_url.pid = peer.pid
                    measure(peer_url, peer_request, seconds=1, connections=CONNECTIONS)
                ours, theirs, cpu_ms, peers = [], [], [], []
                for _ in range(args.rounds):
                    cpu_before = url.cpu_seconds()
                    result = measure(url, request, seconds=args.seconds, connections=CONNECTIONS)
                    cpu_used = url.cpu_seconds() - cpu_before
                    ours.append(result)
                    cpu_ms.append(1000 * cpu_used / max(1.0, result.rps * args.seconds))
                    theirs.append(
                        measure(
                            ceiling_url,
                            ceiling_request,
                            seconds=args.seconds,
                            connections=CONNECTIONS,
                        )
                    )
                    if peer_request:
                        isso_peer.settle(url.cpu_seconds)
                        cpu_before = peer_url.cpu_seconds()
                        result = measure(
                            peer_url, peer_request, seconds=args.seconds, connections=CONNECTIONS
                        )
                        cpu_used = peer_url.cpu_seconds() - cpu_before
                        peers.append(
                            (result, 1000 * cpu_used / max(1.0, result.rps * args.seconds))
                        )
                fastest = max(range(len(ours)), key=lambda i: ours[i].rps)
                if peers:
                    best_peer, peer_cpu_ms = max(peers, key=lambda pair: pair[0].rps)
                    peer.record(
                        scale, item.name, (ours[fastest], cpu_ms[fastest]), (best_peer, peer_cpu_ms)
                    )
                    print(
                        f"  {'':>9}           Isso {describe(best_peer)}"
                        f"  {peer_cpu_ms:5.2f} CPU ms/req",
                        flush=True,
                    )
                results[item.name] = (
                    ours[fastest],
                    max(theirs, key=lambda r: r.rps),
                    cpu_ms[fastest],
                )
                print(
                    f"  {scale:>9,} comments  {item.name:<22} {describe(results[item.name][0])}"
                    f"  {results[item.name][2]:5.2f} CPU ms/req"
                    f"  (ceiling {results[item.name][1].rps:.0f} req/s)",
                    flush=True,
                )
    return results


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


def describe(result: Result | str) -> str:
    if isinstance(result, str):
        return result
    errors = f"  ERRORS {result.errors}" if result.errors else ""
    return (
        f"{result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms{errors}"
    )


def verdict(item: Scenario, result: Result, ceiling: Result | None) -> str:
    if item.target is None:
        return ""
    kind, value = item.target
    got = result.rps / ceiling.rps if kind == "ratio" and ceiling else result.rps
    wanted = f"≥ {value:.0%}" if kind == "ratio" else f"≥ {value:.0f} req/s"
    return f"{wanted} {'ok' if got >= value else 'MISSED'}"


def report(args, by_scale: dict, folder: Path, peer=None) -> str:
    commit = git("rev-parse", "--short", "HEAD")
    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--", "api", "bench") else ""
    lines = [
        f"# Benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}{dirty}, {args.db}",
        "",
        f"gunicorn, {WORKERS} workers x {THREADS} threads: the app on `marginalia serve` (its "
        "request-buffering asyncio worker), the bare-Flask ceiling on gthread; "
        f"{driver_name()} with {CONNECTIONS} connections; each scenario and its ceiling "
        f"alternate for {args.rounds} rounds of {args.seconds:.0f}s (best round of each shown) "
        "after a 1s "
        f"warm-up; {args.posts:,} posts, 500 authors, 2,000 tags; {os.cpu_count()} cores; "
        f"load average at the end {os.getloadavg()[0]:.1f}. Ratio = req/s over the bare-Flask "
        "ceiling returning the same body (the 304 rows: the body the 304 stands for). "
        "Server CPU = user+system seconds of the app's processes (gunicorn and its workers; "
        "not PostgreSQL's) over the requests served: what a request costs, which a busy "
        "machine inflates far less than it deflates req/s.",
        "",
        "| scenario | comments | req/s | p50 ms | p99 ms | server CPU ms/req | ceiling req/s "
        "| ratio | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scale, results in by_scale.items():
        for item in SCENARIOS:
            result = results.get(item.name)
            if isinstance(result, str) or result is None:
                lines.append(f"| {item.name} | {scale:,} | {result or 'skipped'} | | | | | | |")
                continue
            ours, ceiling, cpu_ms = result
            errors = f" ({ours.errors} errors)" if ours.errors else ""
            lines.append(
                f"| {item.name} | {scale:,} | {ours.rps:,.0f}{errors} | {ours.p50_ms:.2f} "
                f"| {ours.p99_ms:.2f} | {cpu_ms:.2f} | {ceiling.rps:,.0f} "
                f"| {ours.rps / ceiling.rps:.0%} "
                f"| {verdict(item, ours, ceiling)} |"
            )
    lines += [
        "",
        "Ceiling bodies: "
        + ", ".join(
            f"{path.stem} {path.stat().st_size:,} bytes" for path in sorted(folder.glob("*.json"))
        ),
    ]
    scales = list(by_scale)
    if len(scales) > 1:
        small, large = scales[0], scales[-1]
        lines += ["", f"Cost at {large:,} comments over cost at {small:,} (target ≤ 1.5x):", ""]
        for item in SCENARIOS:
            a, b = by_scale[small].get(item.name), by_scale[large].get(item.name)
            if isinstance(a, tuple) and isinstance(b, tuple) and b[0].rps:
                cost = a[0].rps / b[0].rps
                lines.append(f"- {item.name}: {cost:.2f}x {'ok' if cost <= 1.5 else 'MISSED'}")
    if peer:
        lines += peer.report()
    return "\n".join(lines) + "\n"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="10k comments only, short runs")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument(
        "--only", default="", help="scenarios whose name contains this (no results file)"
    )
    parser.add_argument(
        "--peer",
        choices=("isso", "isso-wal"),
        help="also measure Isso 0.14 (isso-wal: its SQLite in WAL mode) and report ratios",
    )
    parser.add_argument("--rounds", type=int, help="rounds per scenario (quick: 2, else 3)")
    parser.add_argument("--seconds", type=float, help="seconds a round (quick: 2, else 4)")
    args = parser.parse_args()
    seconds, rounds = (2.0, 2) if args.quick else (4.0, 3)
    args.seconds, args.rounds = args.seconds or seconds, args.rounds or rounds
    scales = [10_000] if args.quick else [10_000, 1_000_000]
    print(f"Benchmark on {args.db} with {driver_name()}; scales {scales}", flush=True)
    by_scale = {}
    with database(args.db) as db_env, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bodies"
        folder.mkdir()
        env = base_env(db_env, tmp)
        subprocess.run(
            [*CLI, "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        tokens = {"admin_token": token(env, "admin"), "moderator_token": token(env, "moderator")}
        peer_running = (
            isso_peer.running(
                Path(tmp), workers=WORKERS, threads=THREADS, wal=args.peer == "isso-wal"
            )
            if args.peer
            else nullcontext()
        )
        with ceiling_server(folder) as ceiling_url, peer_running as peer:
            for scale in scales:
                by_scale[scale] = run_scale(scale, args, env, tokens, ceiling_url, folder, peer)
        table = report(args, by_scale, folder, peer)
    print()
    print(table)
    if args.only:
        return  # a partial table is for the terminal, not for bench/results/
    commit = git("rev-parse", "--short", "HEAD")
    out = BENCH / "results" / f"{datetime.now(UTC):%Y-%m-%d}-{commit}-{args.db}.md"
    out.write_text(table, encoding="utf-8")
    print(f"Wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
