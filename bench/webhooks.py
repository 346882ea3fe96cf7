"""Webhook fan-out benchmark (run by hand, not part of pytest).

    python bench/webhooks.py [--events 3000] [--endpoints 1] [--threads 2]

Sets up a throwaway instance (SQLite file; the queue on Redis when MARGINALIA_REDIS_URL
is set, else on SQLite), a receiver on 127.0.0.1 (HTTP/1.1 keep-alive, answers 204 at
once) and a real `marginalia worker` process, then prints:

1. baseline: sequential POSTs of the same signed body over one keep-alive connection,
   from a separate process, with raw httpx and with the guarded client;
2. delivery throughput: events already fanned out into delivery rows, worker started,
   deliveries per second from the first to the last arrival;
3. fan-out + delivery throughput: events only recorded (dispatch queued as in
   production), worker started, deliveries per second;
4. commit-to-delivery latency: events committed one by one at a steady rate while the
   worker runs idle; p50/p99 of (arrival - commit).
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE = r"""
import sys, time, json
import httpx
from api.infra.outbound import GuardedClient, OutboundPolicy
url, count, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = json.dumps({"id": 1, "type": "post.updated", "timestamp": "2026-01-01T00:00:00Z",
                   "data": {"post": {"number": 1, "title": "x" * 150}}}).encode()
headers = {"Content-Type": "application/json", "webhook-id": "1",
           "webhook-timestamp": "1767225600", "webhook-signature": "v1," + "A" * 44}
if kind == "httpx":
    client = httpx.Client()
    send = lambda: client.post(url, content=body, headers=headers)
else:
    client = GuardedClient(OutboundPolicy(allow_private=True, max_redirects=0, max_bytes=2048))
    send = lambda: client.post(url, content=body, headers=headers, follow_redirects=False,
                               truncate=True)
for _ in range(50):
    send()
started = time.perf_counter()
for _ in range(count):
    send()
print(count / (time.perf_counter() - started))
"""


class Arrivals:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.times, self.count = {}, 0


def start_receiver(arrivals: Arrivals) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.time()
            with arrivals.lock:
                arrivals.count += 1
                arrivals.times.setdefault(self.headers.get("webhook-id", ""), now)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def environment(instance: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINALIA_")}
    env.update(
        PYTHONPATH=str(ROOT),
        MARGINALIA_DATABASE_URL=f"sqlite:///{instance}/marginalia.db",
        MARGINALIA_REDIS_URL=redis_url,
        MARGINALIA_INSTANCE_PATH=str(instance),
        MARGINALIA_SECRET_KEY="bench-secret-key",  # noqa: S106  (a throwaway instance)
        MARGINALIA_ALLOW_PRIVATE_TARGETS="true",
        MARGINALIA_LOG_LEVEL="WARNING",
        MARGINALIA_DEMO_ON_EMPTY="false",
    )
    return env


def run_baseline(url: str, count: int, kind: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", BASELINE, url, str(count), kind],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip())


def start_worker(env: dict[str, str], threads: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "worker",
             "--threads", str(threads)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("benchmark timed out (see the worker log)")
        time.sleep(0.002)


def record(app, count: int) -> list[int]:
    """Record `count` events in units of work of 100."""
    from api.events.catalogue import POST_UPDATED
    from api.events.outbox import record_event_now
    from api.infra.database import db
    from api.infra.unit_of_work import unit_of_work

    ids = []
    with app.app_context():
        for start in range(0, count, 100):
            with unit_of_work():
                ids += [
                    record_event_now(POST_UPDATED, {"post": {"number": n, "title": "x" * 150}}).id
                    for n in range(start, min(start + 100, count))
                ]
        db.session.remove()
    return ids


def throughput(app, env, args, arrivals, log, *, predispatch: bool) -> float:
    from api.events.dispatch import dispatch_pending
    from api.infra.database import db
    from api.infra.queue import huey

    arrivals.reset()
    huey.storage.flush_all()
    ids = record(app, args.events)
    expected = len(ids) * args.endpoints
    if predispatch:
        with app.app_context():
            while dispatch_pending():
                pass
            db.session.remove()
        huey.storage.flush_all()  # only the worker's startup sweep will find them
    worker = start_worker(env, args.threads, log)
    try:
        wait_for(lambda: arrivals.count >= expected, 600)
    finally:
        stop(worker)
    times = sorted(arrivals.times.values())
    if arrivals.count != expected:
        print(f"  ({arrivals.count - expected} repeated deliveries)")
    longest = max(b - a for a, b in pairwise(times))
    print(f"  (longest pause between two arrivals: {longest * 1000:.0f} ms)")
    return (expected - 1) / (times[-1] - times[0])


def latency(app, env, args, arrivals, log) -> list[float]:
    from api.events.catalogue import POST_UPDATED
    from api.events.outbox import record_event_now
    from api.infra.database import db
    from api.infra.unit_of_work import unit_of_work

    arrivals.reset()
    worker = start_worker(env, args.threads, log)
    committed: dict[str, float] = {}
    try:
        time.sleep(3)  # the worker is up and idle
        interval = 1 / args.rate
        with app.app_context():
            for n in range(args.latency_events):
                with unit_of_work():
                    event_id = record_event_now(POST_UPDATED, {"post": {"number": n}}).id
                committed[str(event_id)] = time.time()
                time.sleep(interval)
            db.session.remove()
        wait_for(lambda: all(i in arrivals.times for i in committed), 60)
    finally:
        stop(worker)
    return sorted(arrivals.times[i] - at for i, at in committed.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--endpoints", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="worker threads")
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50, help="events/s in the latency run")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="marginalia-bench-"))
    redis_url = os.environ.get("MARGINALIA_REDIS_URL", "")
    env = environment(instance, redis_url)
    os.environ.update({k: v for k, v in env.items() if k.startswith("MARGINALIA_")})
    arrivals = Arrivals()
    server = start_receiver(arrivals)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    log = instance / "worker.log"

    from flask_migrate import upgrade

    from api.app import create_app
    from api.infra.database import db
    from api.webhooks.services import create_endpoint
    from config import load_settings

    app = create_app(load_settings())
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for n in range(args.endpoints):
            create_endpoint({"url": f"{url}?endpoint={n}", "event_types": ["post.*"]})
        db.session.remove()

    queue = "Redis" if redis_url else "SQLite"
    print(f"queue on {queue}, SQLite database, {args.endpoints} endpoint(s), "
          f"worker with {args.threads} threads, {args.events} events")  # fmt: skip
    raw = run_baseline(url, args.events, "httpx", env)
    arrivals.reset()
    guarded = run_baseline(url, args.events, "guarded", env)
    print(f"baseline, raw httpx keep-alive POSTs:       {raw:8.0f} req/s")
    print(f"baseline, guarded client keep-alive POSTs:  {guarded:8.0f} req/s")

    delivery_only = throughput(app, env, args, arrivals, log, predispatch=True)
    print(f"deliveries/s, delivery stage only:          {delivery_only:8.0f} "
          f"({delivery_only / raw:.2f} x raw httpx)")  # fmt: skip
    with_fanout = throughput(app, env, args, arrivals, log, predispatch=False)
    print(f"deliveries/s, fan-out + delivery:           {with_fanout:8.0f} "
          f"({with_fanout / raw:.2f} x raw httpx)")  # fmt: skip

    waits = latency(app, env, args, arrivals, log)
    p50 = statistics.median(waits) * 1000
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000
    print(f"commit-to-delivery latency at {args.rate:.0f} events/s: "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {waits[-1] * 1000:.1f} ms")  # fmt: skip
    server.shutdown()
    shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
