"""Scale-out proof: the production topology on one machine, and what must hold in it.

    .venv/bin/python bench/scaleout.py

Starts, on 127.0.0.1 only, two "instances" (`marginalia serve --workers 2` on two ports)
and two `marginalia worker` processes, all on the local PostgreSQL (a fresh schema) and
Redis (db 14), then checks with a bounded mixed load:

1. rate limits hold globally: comments from one address, alternating between the
   instances, are admitted no more than the per-IP limit allows;
2. every event is delivered exactly once per webhook endpoint (by `webhook-id`), with
   two workers competing for the deliveries;
3. the response caches of both instances see a write at once;
4. a scheduled post is published once, whichever worker gets there;
5. a post with `unpublish_at` is unpublished once, and a pending draft with
   `publish_at` is published once (docs/revisions.md), whichever worker gets there.

Redis is db 14 of SCALEOUT_REDIS_URL's server (default 127.0.0.1:6379).

Prints one line per check and exits non-zero when one fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
MARGINALIA = str(Path(sys.executable).with_name("marginalia"))
DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/") + "/14"
POST = "liu-yunshan-safeguard-cybersecurity-build-a-strong-network-country"


def _events_for(events: list[dict], kind: str, slug: str) -> list[dict]:
    return [e for e in events if e["type"] == kind and e["data"]["post"]["slug"] == slug]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """A webhook consumer on 127.0.0.1 that records every webhook-id it is sent."""

    def __init__(self):
        self.ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.ids.append(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_up(base: str, deadline: float = 60) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{base} did not come up")


def main() -> int:
    schema = f"scaleout_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(DATABASE, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    redis.Redis.from_url(REDIS).flushdb()
    instance = Path(tempfile.mkdtemp(prefix=f"{schema}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARGINALIA_")}
    env.update(
        {
            "MARGINALIA_DATABASE_URL": f"{DATABASE}?options={quote(f'-csearch_path={schema}')}",
            "MARGINALIA_REDIS_URL": REDIS,
            "MARGINALIA_INSTANCE_PATH": str(instance),
            "MARGINALIA_SECRET_KEY": "scale-out-secret",
            "MARGINALIA_ALLOW_PRIVATE_TARGETS": "true",  # the webhook receiver is on loopback
            "MARGINALIA_LOG_LEVEL": "WARNING",
        }
    )
    ports = [free_port(), free_port()]
    processes = []
    results: list[tuple[str, bool, str]] = []
    try:
        subprocess.run([MARGINALIA, "demo"], env=env, check=True, capture_output=True)
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [MARGINALIA, "serve", "--workers", "2"],
                    env={**env, "MARGINALIA_PORT": str(port)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [MARGINALIA, "worker"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            wait_up(base)
        token = subprocess.run(
            [MARGINALIA, "token", "create", "--role", "admin"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        staff = {"Authorization": f"Bearer {token}"}
        receiver = Receiver()
        hook = httpx.post(
            f"{bases[0]}/v1/webhooks",
            headers=staff,
            json={"url": receiver.url, "events": ["post.*"]},
        )
        hook.raise_for_status()
        # Events from before the endpoint existed (the demo's) are not for it.
        first_event = max(
            [
                e["id"]
                for e in httpx.get(f"{bases[0]}/v1/events?limit=100", headers=staff).json()["items"]
            ],
            default=0,
        )
        httpx.patch(
            f"{bases[0]}/v1/settings/discussion", headers=staff, json={"flood_interval": 0}
        ).raise_for_status()  # measure the limiter

        # 1. One address, both instances: the per-IP comment limit (5/minute) is global.
        admitted = 0
        for n in range(12):
            response = httpx.post(
                f"{bases[n % 2]}/v1/posts/{POST}/comments",
                json={
                    "body": f"Scale-out {n}",
                    "author_name": "S",
                    "author_email": f"s{n}@example.org",
                },
            )
            admitted += response.status_code == 202
        results.append(
            (
                "rate limit shared by both instances",
                admitted == 5,
                f"{admitted} of 12 admitted (limit 5/minute)",
            )
        )

        # 3. Warm both caches, write through one instance, read through the other.
        for base in bases:
            httpx.get(f"{base}/v1/posts/{POST}").raise_for_status()
        etag = httpx.get(f"{bases[0]}/v1/posts/{POST}", headers=staff).headers["ETag"]
        title = f"Renamed {uuid.uuid4().hex[:6]}"
        httpx.patch(
            f"{bases[0]}/v1/posts/{POST}",
            headers={**staff, "If-Match": etag},
            json={"title": title},
        ).raise_for_status()
        seen = httpx.get(f"{bases[1]}/v1/posts/{POST}").json()["title"]
        results.append(
            ("both caches see a write at once", seen == title, f"instance 2 read {seen!r}")
        )

        # 4. A scheduled post, two workers.
        soon = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
        httpx.post(
            f"{bases[1]}/v1/posts",
            headers=staff,
            json={
                "title": "Scheduled once",
                "status": "scheduled",
                "published_at": soon,
                "author": "china-copyright-and-media",
            },
        ).raise_for_status()

        # 5. A post to unpublish and a pending draft to publish, both due in 4 seconds.
        later = (datetime.now(UTC) + timedelta(seconds=4)).isoformat()
        for slug, fields in (("unpublish-once", {"unpublish_at": later}), ("draft-once", {})):
            httpx.post(
                f"{bases[0]}/v1/posts",
                headers=staff,
                json={
                    "title": slug,
                    "slug": slug,
                    "status": "published",
                    "author": "china-copyright-and-media",
                    **fields,
                },
            ).raise_for_status()
        httpx.put(
            f"{bases[1]}/v1/posts/draft-once/draft",
            headers=staff,
            json={"title": "Draft once, published", "publish_at": later},
        ).raise_for_status()

        # 2. A burst of changes through both instances; each is one post.* event.
        for n in range(40):
            httpx.post(
                f"{bases[n % 2]}/v1/posts",
                headers=staff,
                json={
                    "title": f"Load {n}",
                    "status": "published",
                    "author": "china-copyright-and-media",
                },
            ).raise_for_status()

        feed_ids: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            events = httpx.get(
                f"{bases[0]}/v1/events?types=post.*&limit=100&after={first_event}", headers=staff
            ).json()["items"]
            feed_ids = [str(e["id"]) for e in events]
            scheduled = [
                e
                for e in events
                if e["type"] == "post.published" and e["data"]["post"]["slug"] == "scheduled-once"
            ]
            unpublished = _events_for(events, "post.unpublished", "unpublish-once")
            drafted = _events_for(events, "post.draft_published", "draft-once")
            if scheduled and unpublished and drafted and set(feed_ids) <= set(receiver.ids):
                break
            time.sleep(1)
        duplicates = len(receiver.ids) - len(set(receiver.ids))
        missing = set(feed_ids) - set(receiver.ids)
        results.append(
            (
                "every event delivered once per endpoint",
                not duplicates and not missing,
                f"{len(set(receiver.ids))} delivered, {duplicates} twice, {len(missing)} missing",
            )
        )
        results.append(
            (
                "scheduled post published once",
                len(scheduled) == 1,
                f"{len(scheduled)} post.published events for it",
            )
        )
        results.append(
            (
                "scheduled unpublish done once",
                len(unpublished) == 1,
                f"{len(unpublished)} post.unpublished events for it",
            )
        )
        results.append(
            (
                "scheduled pending draft published once",
                len(drafted) == 1,
                f"{len(drafted)} post.draft_published events for it",
            )
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin_engine.dispose()
        redis.Redis.from_url(REDIS).flushdb()

    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    print(json.dumps({"passed": sum(ok for _, ok, _ in results), "checks": len(results)}))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
