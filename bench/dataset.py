"""Generate a benchmark dataset with bulk inserts (never through the services).

    .venv/bin/python bench/dataset.py --posts 10000 --comments 1000000

Authors, tags, published posts with 3 tags each, one `post.published` event per post
(so the event feed and webhook fan-out have history), and comments spread over the
posts, 80% approved and 20% pending. The first post ("hot-post") always has exactly
500 approved comments: the comment-thread scenario reads it at every scale. Running it
again with a larger --comments tops the comments up instead of starting over.

SQLite gets SQLAlchemy Core multi-row inserts; PostgreSQL gets COPY.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.comments import status_counts
from api.comments.models import Comment
from api.comments.rules import Author as Commenter
from api.content.models import Author, Post, Tag, post_tags
from api.events.models import Event, EventCursor
from api.infra.database import db
from api.infra.unit_of_work import unit_of_work
from api.wiring import SUBSCRIPTIONS

HOT_POST_COMMENTS = 500
READERS = 5000
TAGS_PER_POST = 3
BATCH = 5000
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
WORDS = (
    "copyright media internet law policy network security speech translation china state "
    "council ministry regulation platform content online culture press freedom court "
    "ruling draft measures provisions public opinion"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _chunks(rows: Iterator[dict], size: int = BATCH) -> Iterator[list[dict]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(table, rows: Iterator[dict], total: int, label: str) -> None:
    """Insert `rows` in batches: COPY on PostgreSQL, executemany elsewhere."""
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    with click.progressbar(length=total, label=f"{label:<9}") as bar:
        for chunk in _chunks(rows):
            if postgres:
                _copy(connection, table, chunk)
            else:
                connection.execute(insert(table), chunk)
            bar.update(len(chunk))
    db.session.commit()


def _copy(connection, table, chunk: list[dict]) -> None:
    columns = list(chunk[0])
    cursor = connection.connection.driver_connection.cursor()
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in chunk:
            copy.write_row([row[name] for name in columns])


def _authors(count: int) -> Iterator[dict]:
    for n in range(count):
        yield {
            "slug": f"author-{n}",
            "name": f"Author {n}",
            "bio": "Writes about media and the law.",
            "email": f"author{n}@example.org",
            "website": f"https://author{n}.example.org/",
            "avatar_url": None,
            "created_at": EPOCH,
            "updated_at": EPOCH,
            "version": 1,
        }


def _tags(count: int) -> Iterator[dict]:
    for n in range(count):
        yield {
            "slug": f"tag-{n}",
            "name": f"Tag {n}",
            "description": f"Posts about topic {n}.",
            "created_at": EPOCH,
            "updated_at": EPOCH,
            "version": 1,
        }


def _posts(rng: random.Random, count: int, authors: int) -> Iterator[dict]:
    for n in range(count):
        paragraphs = [_text(rng, 40) for _ in range(3)]
        body = "\n\n".join(paragraphs)
        html = "".join(f"<p>{p}</p>\n" for p in paragraphs)
        published = EPOCH + timedelta(hours=n)
        yield {
            "slug": "hot-post" if n == 0 else f"post-{n}",
            "title": _text(rng, 8),
            "body": body,
            "body_html": html,
            "excerpt": "",
            "auto_excerpt": " ".join(body.split()[:55]) + " […]",
            "status": "published",
            "published_at": published,
            "created_at": published,
            "updated_at": published,
            "author_id": 1 + n % authors,
            "comments_open": True,
            "comment_count": 0,
            "version": 1,
        }


def _post_tags(rng: random.Random, posts: int, tags: int) -> Iterator[dict]:
    for post_id in range(1, posts + 1):
        for tag_id in rng.sample(range(1, tags + 1), TAGS_PER_POST):
            yield {"post_id": post_id, "tag_id": tag_id}


def _events(posts: int) -> Iterator[dict]:
    for post_id in range(1, posts + 1):
        yield {
            "type": "post.published",
            "occurred_at": EPOCH + timedelta(hours=post_id - 1),
            "data": {"post": {"id": post_id, "slug": f"post-{post_id - 1}", "status": "published"}},
        }


def _comments(
    rng: random.Random, start: int, count: int, posts: int, pending_share: float = 0.2
) -> Iterator[dict]:
    """Comments numbered from `start`; the hot post takes the first 500 of all. 5,000
    readers write them, each with the author key the intake would give them (the
    history probes' index is only as selective as these keys are real)."""
    readers = [
        (
            f"Reader {i}",
            f"reader{i}@example.net",
            Commenter(f"Reader {i}", f"reader{i}@example.net").key,
        )
        for i in range(READERS)
    ]
    for n in range(start, start + count):
        if n < HOT_POST_COMMENTS:
            post_id, status = 1, "approved"
        else:
            post_id = rng.randint(2, posts) if posts > 1 else 1
            status = "pending" if rng.random() < pending_share else "approved"
        body = _text(rng, 25)
        yield {
            "post_id": post_id,
            "parent_id": None,
            "type": "comment",
            "status": status,
            "body": body,
            "body_html": f"<p>{body}</p>\n",
            "author_name": readers[n % READERS][0],
            "author_email": readers[n % READERS][1],
            "author_key": readers[n % READERS][2],
            "author_url": None,
            "ip_address": f"192.0.2.{n % 250}",
            "user_agent": "bench",
            "reasons": [],
            "created_at": EPOCH + timedelta(seconds=30 * n),
            "updated_at": EPOCH + timedelta(seconds=30 * n),
            "version": 1,
        }


def _json_rows(rows: Iterator[dict], column: str) -> Iterator[dict]:
    """COPY takes JSON columns as text."""
    from psycopg.types.json import Jsonb

    for row in rows:
        yield {**row, column: Jsonb(row[column])}


def load(
    *,
    posts: int,
    comments: int,
    authors: int,
    tags: int,
    seed: int = 1,
    pending_share: float = 0.2,
) -> dict:
    """Fill an empty (migrated) database, or top its comments up; returns row counts."""
    rng = random.Random(seed)
    session = db.session
    postgres = session.get_bind().dialect.name == "postgresql"
    json_rows = (
        (lambda rows, column: _json_rows(rows, column)) if postgres else (lambda rows, column: rows)
    )
    if not session.scalar(select(func.count()).select_from(Post)):
        _bulk(Author.__table__, _authors(authors), authors, "authors")
        _bulk(Tag.__table__, _tags(tags), tags, "tags")
        _bulk(Post.__table__, _posts(rng, posts, authors), posts, "posts")
        _bulk(post_tags, _post_tags(rng, posts, tags), posts * TAGS_PER_POST, "post tags")
        _bulk(Event.__table__, json_rows(_events(posts), "data"), posts, "events")
    existing_posts = session.scalar(select(func.count()).select_from(Post))
    have = session.scalar(select(func.count()).select_from(Comment))
    if comments > have:
        rows = json_rows(
            _comments(rng, have, comments - have, existing_posts, pending_share), "reasons"
        )
        _bulk(Comment.__table__, rows, comments - have, "comments")
        _recount()
        session.commit()
        with unit_of_work():
            status_counts.rebuild()  # the services keep it; a bulk load sets it once
    _consumers_caught_up()
    if postgres:
        session.execute(db.text("ANALYZE"))
    else:
        session.execute(db.text("PRAGMA optimize"))
    session.commit()
    return {
        "posts": existing_posts,
        "comments": session.scalar(select(func.count()).select_from(Comment)),
    }


def _consumers_caught_up() -> None:
    """The outbox consumers start at the latest event, as on a site that has run for a
    while: the bench measures requests, not a first run through 10,000 old events."""
    latest = db.session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    for name in (subscription.consumer for subscription in SUBSCRIPTIONS):
        db.session.merge(EventCursor(name=name, last_event_id=latest))


def _recount() -> None:
    """comment_count is what the comments area keeps; set it as it would."""
    approved = (
        select(func.count())
        .where(Comment.post_id == Post.id, Comment.status == "approved")
        .scalar_subquery()
    )
    db.session.execute(Post.__table__.update().values(comment_count=approved))
    db.session.commit()


@click.command()
@click.option("--posts", default=10_000, show_default=True)
@click.option("--comments", default=10_000, show_default=True)
@click.option("--authors", default=500, show_default=True)
@click.option("--tags", default=2_000, show_default=True)
def main(posts, comments, authors, tags):
    """Load the dataset into MARGINALIA_DATABASE_URL (migrating it first)."""
    from flask_migrate import upgrade

    from api.app import create_app
    from config import load_settings

    app = create_app(load_settings(demo_on_empty="false"))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = datetime.now(UTC)
        counts = load(posts=posts, comments=comments, authors=authors, tags=tags)
        seconds = (datetime.now(UTC) - started).total_seconds()
        click.echo(f"{counts['posts']} posts, {counts['comments']} comments in {seconds:.0f}s")


if __name__ == "__main__":
    main()
