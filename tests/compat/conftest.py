"""A tiny posts / tags / authors schema to run compiled NQL filters against.

SQLite in memory by default; on the PostgreSQL leg (MARGINALIA_DATABASE_URL set to
PostgreSQL) the same tables live in a schema of their own on that server, so every
filter test runs on both databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    exists,
    select,
    text,
)

from api.compat.ids import Kind, parse_ghost_id
from api.compat.nql_sql import related, scalar
from api.infra.timestamps import UTCDateTime

DATABASE_URL = os.environ.get("MARGINALIA_DATABASE_URL", "")

metadata = MetaData()
authors = Table(
    "authors", metadata, Column("id", Integer, primary_key=True), Column("slug", String(200))
)
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(200)),
    Column("status", String(20)),
    Column("visibility", String(20)),
    Column("featured", Boolean, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("author_id", ForeignKey("authors.id")),
)
tags = Table("tags", metadata, Column("id", Integer, primary_key=True), Column("slug", String(200)))
post_tags = Table(
    "post_tags",
    metadata,
    Column("post_id", ForeignKey("posts.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


def _has_tag(slugs: tuple) -> object:
    return exists().where(
        post_tags.c.post_id == posts.c.id,
        post_tags.c.tag_id == tags.c.id,
        tags.c.slug.in_(slugs),
    )


def _has_author(slugs: tuple) -> object:
    return posts.c.author_id.in_(select(authors.c.id).where(authors.c.slug.in_(slugs)))


CONDITIONS = {
    "tag": related(_has_tag),
    "author": related(_has_author),
    "featured": scalar(posts.c.featured),
    "published_at": scalar(posts.c.published_at),
    "slug": scalar(posts.c.slug),
    "status": scalar(posts.c.status),
    "visibility": scalar(posts.c.visibility),
    "id": scalar(posts.c.id, convert=lambda value: parse_ghost_id(value, Kind.POST)),
}


def _when(month: int, day: int, year: int = 2024) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def _post(number: int, slug: str, *, status="published", featured=False, **columns) -> dict:
    columns |= {"status": status, "featured": featured, "visibility": "public"}
    return {"id": number, "slug": slug, **columns}


ROWS = {
    authors: [{"id": 1, "slug": "jo"}, {"id": 2, "slug": "al"}],
    tags: [{"id": 1, "slug": "news"}, {"id": 2, "slug": "tech"}, {"id": 3, "slug": "o'neil"}],
    posts: [
        _post(1, "hello", featured=True, published_at=_when(1, 10), author_id=1),
        _post(2, "world", published_at=_when(2, 10), author_id=2),
        _post(3, "lonely", published_at=_when(12, 1, 2023), author_id=1),
        _post(4, "draft", status="draft", published_at=None, author_id=2),
    ],
    post_tags: [
        {"post_id": 1, "tag_id": 1},
        {"post_id": 1, "tag_id": 2},
        {"post_id": 2, "tag_id": 1},
        {"post_id": 4, "tag_id": 2},
        {"post_id": 4, "tag_id": 3},
    ],
}


@pytest.fixture(scope="session")
def filter_engine() -> Iterator[Engine]:
    if DATABASE_URL.startswith("postgresql"):
        schema = f"compat_nql_{uuid.uuid4().hex[:8]}"
        admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(DATABASE_URL, connect_args={"options": f"-csearch_path={schema}"})
    else:
        admin, schema = None, None
        engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        for table, rows in ROWS.items():
            connection.execute(table.insert(), rows)
    yield engine
    engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
