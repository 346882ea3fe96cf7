"""Moderation queue at scale: page 1 vs page 1000, and the status counts (run by hand).

    /work/main/.venv/bin/python bench/moderation.py [--db sqlite|postgres] [--pending 100000]

Loads a fresh database with `--pending` pending comments (bench/dataset.py, every
comment pending), then times, in-process through the app (Flask test client, a
moderator token, no HTTP server, so the numbers are the app's own work):

- GET /v1/moderation/comments?limit=50 : page 1, and page 1000 (its cursor is the
  sort key of item 49,950, as the 999th page's `next` would carry it);
- GET /v1/moderation/counts (the four-row counts table), beside the GROUP BY over the
  (status, created_at, id) index it replaces.

Each is the median of --rounds requests after a warm-up. Keyset pagination makes
page 1000 cost what page 1 does: the ratio page1000/page1 should stay near 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from dataset import load
from run import database

LIMIT = 50
PAGE = 1000


def timed(call, rounds: int) -> float:
    """Median milliseconds of `rounds` calls, after a few warm-ups."""
    for _ in range(3):
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    if args.pending < LIMIT * PAGE:
        parser.error(f"--pending must be at least {LIMIT * PAGE} for page {PAGE}")

    with database(args.db) as env:
        measure(env, args)


def measure(env: dict, args) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from api.app import create_app
    from api.auth.tokens import create_token
    from api.comments.models import Comment
    from api.infra.database import db
    from api.infra.pagination import CursorCodec
    from api.infra.unit_of_work import unit_of_work
    from config import load_settings

    settings = load_settings(
        environ={},
        database_url=env["MARGINALIA_DATABASE_URL"],
        redis_url=env.get("MARGINALIA_REDIS_URL", ""),
        demo_on_empty="false",
        ratelimits="false",
        log_level="WARNING",
        secret_key="bench-secret",  # noqa: S106  (a throwaway database)
    )
    app = create_app(settings)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        counts = load(posts=100, comments=args.pending, authors=10, tags=20, pending_share=1.0)
        print(f"loaded {counts['comments']} comments in {time.perf_counter() - started:.0f}s")
        with unit_of_work():
            _, token = create_token("bench moderator", "moderator", None)
        # The cursor the 999th page's `next` carries: the key of its last item.
        last_of_999 = db.session.execute(
            select(Comment.created_at, Comment.id)
            .where(Comment.status == "pending")
            .order_by(Comment.created_at, Comment.id)
            .offset(LIMIT * (PAGE - 1) - 1)
            .limit(1)
        ).one()
        cursor = CursorCodec(app.config["SECRET_KEY"], "moderation-oldest").encode(
            list(last_of_999)
        )
        db.session.remove()

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> dict:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    first_page = f"/v1/moderation/comments?limit={LIMIT}"
    far_page = f"/v1/moderation/comments?limit={LIMIT}&cursor={cursor}"
    assert len(get(far_page)["items"]) == LIMIT
    pending = get("/v1/moderation/counts")["pending"]

    def group_by() -> None:
        with app.app_context():
            db.session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
            db.session.remove()

    page1 = timed(lambda: get(first_page), args.rounds)
    page1000 = timed(lambda: get(far_page), args.rounds)
    counts_ms = timed(lambda: get("/v1/moderation/counts"), args.rounds)
    group_ms = timed(group_by, max(5, args.rounds // 5))

    print(f"\nModeration queue, {args.db}, {pending} pending comments, limit={LIMIT}")
    print(f"  page 1                       {page1:8.2f} ms")
    print(f"  page {PAGE}                    {page1000:8.2f} ms")
    print(f"  ratio page{PAGE}/page1          {page1000 / page1:8.2f}")
    print(f"  GET /v1/moderation/counts    {counts_ms:8.2f} ms  (counts table)")
    print(f"  GROUP BY status (reference)  {group_ms:8.2f} ms  (what it replaces)")


if __name__ == "__main__":
    main()
