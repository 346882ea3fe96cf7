"""What writing the hot reads' JSON costs, in-process: CPU µs per page (run by hand).

    .venv/bin/python bench/serialisation.py /tmp/serialisation-db

Loads the bench dataset (10k posts, 10k comments; once per folder, a SQLite file), then
times, as the best of 7 rounds of CPU time: a post list page (20 posts with author and
tags) and a single post, dumped alone and read + dumped; a 100-comment thread page; 100
events of the feed; 20 moderation queue items. To compare two trees, run it with each on
PYTHONPATH (the `api` package found first is measured), alternating, on the same folder.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--rounds", default=7, show_default=True)
@click.option("--per-round", default=200, show_default=True)
def main(folder: str, rounds: int, per_round: int) -> None:
    os.makedirs(folder, exist_ok=True)
    os.environ.update(
        {
            "MARGINALIA_DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "MARGINALIA_INSTANCE_PATH": folder,
            "MARGINALIA_SECRET_KEY": "bench-secret",
            "MARGINALIA_DEMO_ON_EMPTY": "false",
            "MARGINALIA_LOG_LEVEL": "WARNING",
        }
    )
    from api.app import create_app
    from config import load_settings

    app = create_app(load_settings())
    with app.test_request_context():  # Method fields read the settings
        _load_once(app, folder)
        for name, case in _cases(app.config["MARGINALIA"]).items():
            for _ in range(20):
                case()
            best = float("inf")
            for _ in range(rounds):
                started = time.process_time()
                for _ in range(per_round):
                    case()
                best = min(best, (time.process_time() - started) / per_round * 1e6)
            click.echo(f"{name}: {best:.0f} µs")


def _load_once(app, folder: str) -> None:
    marker = Path(folder) / "loaded"
    if marker.exists():
        return
    import dataset
    from flask_migrate import upgrade

    upgrade(directory=app.extensions["migrate"].directory)
    dataset.load(posts=10_000, comments=10_000, authors=500, tags=2_000)
    marker.touch()


def _cases(settings) -> dict:
    from sqlalchemy import select

    from api.comments.models import Comment
    from api.comments.reading import PUBLIC_COLUMNS
    from api.comments.views import public_comment
    from api.content import reading
    from api.content.models import Post
    from api.content.views import post_columns, post_dumper
    from api.events.feed import feed_rows
    from api.events.schemas import feed_item
    from api.infra.database import db
    from api.infra.pagination import CursorCodec
    from api.moderation import queue
    from api.moderation.views import core_view

    codec = CursorCodec("bench", "posts")
    columns = post_columns(False, ())
    dump_post = post_dumper(staff=False, full_author=True, full_tags=True)

    def post_page():
        filters = reading.PostFilters()
        return reading.list_posts(None, filters, columns, limit=20, cursor=None, codec=codec).items

    records = post_page()
    slug = records[0].slug
    single = reading.read_post(None, slug, columns)
    hot = db.session.scalar(select(Post.id).where(Post.slug == "hot-post"))
    thread = db.session.execute(
        select(*PUBLIC_COLUMNS)
        .where(Comment.post_id == hot, Comment.status == "approved")
        .limit(100)
    ).all()
    events = feed_rows(5000, 100)
    pending = db.session.scalars(
        select(Comment.id).where(Comment.status == "pending").limit(20)
    ).all()
    items = [queue.get_item(comment_id, settings) for comment_id in pending]
    return {
        "post list page (20): dump": lambda: [dump_post(r) for r in records],
        "post list page (20): read+dump": lambda: [dump_post(r) for r in post_page()],
        "single post: dump": lambda: dump_post(single),
        "single post: read+dump": lambda: dump_post(reading.read_post(None, slug, columns)),
        "thread page (100): dump": lambda: [public_comment(row) for row in thread],
        "event feed (100): dump": lambda: [feed_item(event) for event in events],
        "moderation page (20): dump": lambda: [core_view(item) for item in items],
    }


if __name__ == "__main__":
    main()
