"""Isso 0.14 as a peer in the benchmark: the same machine, gunicorn settings and load.

    .venv/bin/python bench/run.py --peer isso [--only comment]   (the ratios in the table)
    .venv/bin/python bench/isso_peer.py [--seconds 4]            (Isso alone, for a look)

Isso is installed from PyPI into its own virtualenv, bench/.isso-venv (gitignored), with
the gunicorn version this project runs, and served exactly like `marginalia serve` in the
bench: gthread, 2 workers x 8 threads, keep-alive 5. Its configuration (written to a temp
folder with its SQLite database) is the issue's: moderation off (Isso's moderation is a
hold-everything switch; ours runs all its rules, which hold these first-time commenters
for a moderator), guard off (Isso's per-address rate limit and reply rules; our rate
limits are off in the bench), no admin, no notifications (Isso's default `notify = stdout`
logs three INFO lines per comment; our server logs at WARNING). The rest is Isso's default:
pbkdf2 email hashing, the mistune renderer, and SQLite in rollback-journal mode with
synchronous=FULL, several fsyncs per comment. Ours runs WAL with synchronous=NORMAL (no
fsync per commit: a power cut can lose the last commits, a crash cannot), so on a disk
others are busy with, Isso's intake waits on fsync far more than ours. `--peer isso-wal`
(run.py) or `--wal` (here) switches Isso's database to WAL first, keeping its
synchronous=FULL (one fsync per comment): the closer comparison of the two programs.

Each comment comes from its own address, as ours do: the load drivers put a new
X-Forwarded-For on every request (`Request(unique=True)`, bench/load.py), and Isso is told
to trust 127.0.0.1 as a proxy (`[server] trusted-proxies`), so it takes the commenter's
address from that header just as our server does with MARGINALIA_TRUSTED_PROXIES=1.

What is compared (the keys are our scenario names in bench/scenarios.py):

* comment intake: `POST /new?uri=/intake-post/` with JSON text, author and email, against
  our `POST /v1/posts/{slug}/comments` (every rule on).
* comment thread: `GET /?uri=/hot-post/&plain=1&limit=100` on a thread of 500 comments
  (plain=1: Isso sends the text, not Markdown rendered per read), against our
  `GET /v1/posts/hot-post/comments?limit=100` (500 approved comments), both with our
  response cache on (warm) and off (cold); Isso has no response cache.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from load import Result, measure
from scenarios import Request

ISSO_VERSION = "0.14.0"
VENV = BENCH / ".isso-venv"
HOT_THREAD = "/hot-post/"
INTAKE_THREAD = "/intake-post/"
HOT_COMMENTS = 500

# Isso's SQLite journal, named in the report (the honest peer is Isso as shipped).
JOURNAL_SHIPPED = (
    " as shipped (its default rollback journal, synchronous=FULL: several fsyncs a comment)"
)
JOURNAL_WAL = " switched to WAL (synchronous=FULL: one fsync a comment)"
Measured = tuple[Result, float]  # a round's result and its server CPU ms per request


def intake_request() -> Request:
    body = {
        "text": "A thoughtful remark, number {n}.",
        "author": "Bench",
        "email": "bench{n}@x.test",
    }
    return Request(
        f"/new?uri={INTAKE_THREAD}",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body),
        unique=True,
    )


def thread_request() -> Request:
    return Request(f"/?uri={HOT_THREAD}&plain=1&limit=100")


# Our scenario name -> Isso's request doing the same job.
COUNTERPARTS = {
    "comment intake": intake_request,
    "comment thread (500)": thread_request,
    "comment thread cold": thread_request,
}


@dataclass
class IssoPeer:
    url: str
    pid: int
    wal: bool = False  # Isso's SQLite switched to WAL
    # scale -> our scenario name -> (ours, Isso's), each the best round of the same run
    # with the server CPU milliseconds per request of that round
    results: dict[int, dict[str, tuple[Measured, Measured]]] = field(default_factory=dict)

    def request_for(self, scenario: str) -> Request | None:
        make = COUNTERPARTS.get(scenario)
        return make() if make else None

    def record(self, scale: int, scenario: str, ours: Measured, isso: Measured) -> None:
        self.results.setdefault(scale, {})[scenario] = (ours, isso)

    def report(self) -> list[str]:
        """Markdown lines: our rate over Isso's, per compared scenario and scale."""
        if not self.results:
            return []
        lines = [
            "",
            f"Isso {ISSO_VERSION} as a peer (same run, alternating rounds, best round of each; "
            "Isso under the same gunicorn settings on SQLite"
            f"{JOURNAL_WAL if self.wal else JOURNAL_SHIPPED}, "
            "moderation, guard and notifications off, each comment from its own "
            "X-Forwarded-For address). Server CPU = user+system ms per request of each "
            "side's gunicorn processes; its ratio is the steadier one on a busy machine:",
            "",
            "| scenario | comments | ours req/s | Isso req/s | ours / Isso "
            "| ours CPU ms/req | Isso CPU ms/req | Isso CPU / ours |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for scale, rows in self.results.items():
            for name, ((ours, our_cpu), (isso, isso_cpu)) in rows.items():
                ratio = ours.rps / isso.rps if isso.rps else float("inf")
                errors = f" ({isso.errors} errors)" if isso.errors else ""
                lines.append(
                    f"| {name} | {scale:,} | {ours.rps:,.0f} | {isso.rps:,.0f}{errors} "
                    f"| {ratio:.2f}x | {our_cpu:.2f} | {isso_cpu:.2f} "
                    f"| {isso_cpu / our_cpu if our_cpu else float('inf'):.2f}x |"
                )
        return lines


def settle(cpu_seconds: Callable[[], float], *, window: float = 0.25, limit: float = 15.0) -> None:
    """Wait (at most `limit` s) until a server's processes use under 5% of a core.

    After an intake round our server's worker still dispatches the burst of events those
    comments recorded; Isso has no such backlog. Measuring Isso while ours works through
    it would hand our server's background work to Isso's round.
    """
    deadline = time.monotonic() + limit
    before = cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(window)
        now = cpu_seconds()
        if now - before < 0.05 * window:
            return
        before = now


def ensure_installed() -> Path:
    """bench/.isso-venv with Isso 0.14 and our gunicorn, C parser included (gunicorn's
    gthread worker uses it when installed, as ours does); returns its gunicorn."""
    gunicorn = VENV / "bin" / "gunicorn"
    wanted = {
        "isso": ISSO_VERSION,
        **{name: importlib.metadata.version(name) for name in ("gunicorn", "gunicorn_h1c")},
    }
    if gunicorn.exists() and _installed(wanted):
        return gunicorn
    print(f"Installing Isso {ISSO_VERSION} into {VENV.relative_to(BENCH.parent)}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet"]
        + [f"{name}=={version}" for name, version in wanted.items()],
        check=True,
    )
    return gunicorn


def _installed(wanted: dict[str, str]) -> bool:
    script = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    found = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", script, *wanted],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.returncode == 0 and json.loads(found.stdout) == wanted


def write_config(folder: Path, port: int) -> Path:
    nowhere = _free_port()  # Isso HEADs its site at start; a closed port answers at once
    config = folder / "isso.cfg"
    config.write_text(
        f"""[general]
dbpath = {folder / "comments.db"}
host = http://127.0.0.1:{nowhere}/
notify =
gravatar = false

[admin]
enabled = false

[moderation]
enabled = false

[guard]
enabled = false

[server]
listen = http://127.0.0.1:{port}
public-endpoint = http://127.0.0.1:{port}
trusted-proxies = 127.0.0.1
""",
        encoding="utf-8",
    )
    return config


@contextmanager
def running(folder: Path, *, workers: int, threads: int, wal: bool = False) -> Iterator[IssoPeer]:
    """Isso under gunicorn on 127.0.0.1, its hot thread seeded; stopped afterwards."""
    gunicorn = ensure_installed()
    folder = Path(folder) / "isso"
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    command = [
        str(gunicorn),
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--keep-alive", "5",
        "--graceful-timeout", "10",
        "--bind", f"127.0.0.1:{port}",
        "isso.run:application",
    ]  # fmt: skip
    env = {**os.environ, "ISSO_SETTINGS": str(write_config(folder, port))}
    with (folder / "isso.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(port, process, folder / "isso.log")
        if wal:
            # Persistent in the file; Isso opens a connection per query, so every later
            # one uses it.
            with closing(sqlite3.connect(folder / "comments.db")) as database:
                database.execute("PRAGMA journal_mode=WAL")
        _seed(port)
        yield IssoPeer(url, process.pid, wal=wal)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Isso exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if _call(port, "GET", "/info")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"Isso did not answer on port {port} within 60s")


def _seed(port: int) -> None:
    """The hot thread's 500 comments and the intake thread, through Isso's own API."""
    for n in range(HOT_COMMENTS):
        _comment(port, HOT_THREAD, n, title="Hot post")
    _comment(port, INTAKE_THREAD, HOT_COMMENTS, title="Intake post")
    status, body = _call(port, "GET", f"/?uri={HOT_THREAD}&plain=1")
    if status != 200 or json.loads(body)["total_replies"] != HOT_COMMENTS:
        raise SystemExit(f"Isso's hot thread was not seeded: {status} {body[:200]!r}")


def _comment(port: int, uri: str, n: int, title: str) -> None:
    body = {"text": f"Seed comment number {n}.", "author": "Seed", "email": f"seed{n}@x.test"}
    body["title"] = title  # creates the thread without fetching the page from the site
    status, answer = _call(
        port,
        "POST",
        f"/new?uri={uri}",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "X-Forwarded-For": f"198.19.{n >> 8}.{n & 255}"},
    )
    if status != 201:
        raise SystemExit(f"Isso refused a seed comment: {status} {answer[:200]!r}")


def _call(port, method, path, body=None, headers=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description="Isso alone under the bench's load")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--wal", action="store_true", help="switch Isso's SQLite to WAL")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(Path(tmp), workers=2, threads=8, wal=args.wal) as isso,
    ):
        for name, make in (("intake", intake_request), ("thread", thread_request)):
            request = make()
            measure(isso.url, request, seconds=1, connections=16)  # warm-up
            result = measure(isso.url, request, seconds=args.seconds, connections=16)
            print(f"Isso {name:<7} {result.rps:8.0f} req/s  p50 {result.p50_ms:.2f} ms  "
                  f"p99 {result.p99_ms:.2f} ms  errors {result.errors}")  # fmt: skip


if __name__ == "__main__":
    main()
