"""Every list and lookup the API offers is answered through an index.

The queries are the real ones: each request runs through the app while its SQL is
recorded, then each recorded statement is explained with its own parameters. On
PostgreSQL `enable_seqscan = off` asks "is there a usable index" (tiny tables would
make a sequential scan the honest choice); on SQLite `EXPLAIN QUERY PLAN` must not
show a bare `SCAN posts` (a scan *using* an index is an ordered index walk).
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from api.comments.services import import_comment
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import unit_of_work

WATCHED = ("posts", "comments")
_TABLES = "|".join(WATCHED)
SEQ_SCAN = re.compile(rf"Seq Scan on ({_TABLES})\b")
SQLITE_SCAN = re.compile(rf"^SCAN ({_TABLES})\b(?!.*USING (COVERING )?INDEX)")


@contextmanager
def recorded_statements(app):
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_of(app, statement: str, parameters) -> list[str]:
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            lines = [row[0] for row in rows]
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            lines = [row[-1] for row in rows]
        db.session.rollback()
        db.session.remove()
    return lines


def scans_without_index(lines: list[str]) -> list[str]:
    return [line for line in lines if SEQ_SCAN.search(line) or SQLITE_SCAN.search(line.strip())]


@pytest.fixture
def content(app, client, admin, author, publish):
    first = publish("Lovelace on engines", tags=["alpha", "beta"], featured=True)
    publish("Second thoughts", tags=["beta"])
    publish("A draft", status="draft")
    about = client.post(
        "/v1/pages",
        json={"title": "About", "author": author["slug"], "status": "published"},
        headers=admin,
    ).get_json()
    client.patch(f"/v1/pages/{about['slug']}", json={"slug": "about-us"}, headers=admin)
    with app.app_context():
        with unit_of_work():
            for n in range(2):
                import_comment(
                    post_id=first["id"],
                    body=f"Remark {n}",
                    author_name="R",
                    status="approved",
                    created_at=utcnow(),
                )
        db.session.remove()
    page = client.get("/v1/posts?limit=1").get_json()
    sorted_pages = {
        sort: client.get(f"/v1/posts?limit=1&sort={sort}").get_json()["next"]
        for sort in ("title", "-updated_at", "published_at")
    }
    thread = client.get(f"/v1/posts/{first['slug']}/comments?limit=1").get_json()
    return {
        "slug": first["slug"],
        "author": author["slug"],
        "next": page["next"],
        # Fetched as staff: an anonymous fetch would put the page in the response cache.
        "prev": client.get(page["next"], headers=admin).get_json()["prev"],
        "thread_next": thread["next"],
        "title_next": sorted_pages["title"],
        "updated_next": sorted_pages["-updated_at"],
        "oldest_next": sorted_pages["published_at"],
        "thread_prev": client.get(thread["next"], headers=admin).get_json()["prev"],
    }


READS = {
    "posts list": "/v1/posts?include=author,tags",
    "posts next page": "{next}",
    "posts previous page": "{prev}",
    "posts count": "/v1/posts?count=true&limit=1",
    "posts by tag, counted": "/v1/posts?tag=alpha&count=true",
    "posts full-text, counted": "/v1/posts?q=lovelace&count=true",
    "posts by tag": "/v1/posts?tag=alpha",
    "posts by author": "/v1/posts?author={author}",
    "posts by any of several tags": "/v1/posts?tag=alpha,beta",
    "posts with all of several tags": "/v1/posts?tag=alpha%2Bbeta",
    "posts by several authors": "/v1/posts?author={author},nobody",
    "featured posts": "/v1/posts?featured=true",
    "posts by title": "/v1/posts?sort=title",
    "posts by title, next page": "{title_next}",
    "posts by title descending": "/v1/posts?sort=-title",
    "posts recently updated": "/v1/posts?sort=-updated_at",
    "posts recently updated, next page": "{updated_next}",
    "posts oldest first, next page": "{oldest_next}",
    "featured posts by title": "/v1/posts?featured=true&sort=title",
    "pages list": "/v1/pages",
    "pages by title": "/v1/pages?sort=title",
    "single page": "/v1/pages/about-us",
    "an old page slug": "/v1/pages/about",
    "posts full-text": "/v1/posts?q=lovelace",
    "posts in a date window": (
        "/v1/posts?published_after=2000-01-01T00:00:00Z&published_before=2999-01-01T00:00:00Z"
    ),
    "single post": "/v1/posts/{slug}",
    "comment thread": "/v1/posts/{slug}/comments?limit=100",
    "comment thread next page": "{thread_next}",
    "comment thread previous page": "{thread_prev}",
    "comment thread count": "/v1/posts/{slug}/comments?count=true",
    "authors list": "/v1/authors",
    "authors count": "/v1/authors?count=true",
    "one author": "/v1/authors/{author}",
    "tags list": "/v1/tags",
    "tags count": "/v1/tags?count=true",
    "one tag": "/v1/tags/alpha",
}
STAFF_READS = {
    "staff drafts": "/v1/posts?status=draft",
    "staff all posts": "/v1/posts?status=any",
    "staff drafts by title": "/v1/posts?status=draft&sort=title",
    "staff pages": "/v1/pages?status=any",
    "staff drafts count": "/v1/posts?status=draft&count=true",
    "event feed": "/v1/events?after=1",
    "event feed by type": "/v1/events?types=post.*",
    "moderation queue": "/v1/moderation/comments?status=pending",
}


@pytest.mark.parametrize("name", [*READS, *STAFF_READS])
def test_read_uses_indexes(app, client, admin, content, name):
    path = {**READS, **STAFF_READS}[name].format(**content)
    headers = admin if name in STAFF_READS else {}
    with recorded_statements(app) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code in (200, 301), response.get_json()
    assert statements, f"{name}: no query recorded"
    for statement, parameters in statements:
        lines = plan_of(app, statement, parameters)
        assert not scans_without_index(lines), (
            f"{name} scans a table without an index:\n{statement}\n" + "\n".join(lines)
        )


COUNTS = {
    "published posts": "/v1/posts?count=true",
    "a post's thread": "/v1/posts/{slug}/comments?count=true",
    "drafts": "/v1/posts?status=draft&count=true",
}


@pytest.mark.parametrize("name", COUNTS)
def test_the_usual_totals_are_counted_from_an_index_alone(app, client, admin, content, name):
    """`total` reads the index the list walks, never the rows themselves."""
    with recorded_statements(app) as statements:
        response = client.get(COUNTS[name].format(**content), headers=admin)
    assert response.status_code == 200 and response.get_json()["total"] >= 1
    counts = [(s, p) for s, p in statements if "count(*)" in s.lower()]
    assert len(counts) == 1, statements
    lines = index_only_plan_of(app, *counts[0])
    assert any("COVERING INDEX" in line or "Index Only Scan" in line for line in lines), (
        counts[0][0],
        lines,
    )


def index_only_plan_of(app, statement: str, parameters) -> list[str]:
    """The plan once PostgreSQL knows the tables' pages are all visible (as autovacuum
    soon tells it): only then does it cost an index-only scan below a plain one."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM (ANALYZE) posts, comments")
        db.session.remove()
    return plan_of(app, statement, parameters)


def test_no_count_is_run_unless_asked_for(app, client, admin, content):
    for path in ("/v1/posts", "/v1/posts/{slug}/comments", "/v1/authors", "/v1/tags"):
        with recorded_statements(app) as statements:
            body = client.get(path.format(**content), headers=admin).get_json()
        assert "total" not in body
        # (authors and tags count their published posts per item: GROUP BY, not a total)
        totals = [s for s, _ in statements if "count(*)" in s.lower() and "GROUP BY" not in s]
        assert not totals, path


def test_comment_intake_probes_the_commenters_history_by_index(app, client, content):
    """The flood, duplicate and approved-before probes run on every submission: they
    must look up the commenter (author key, address), never walk the post's comments."""
    comment = {"body": "A remark.", "author_name": "Ada", "author_email": "ada@example.com"}
    with recorded_statements(app) as statements:
        response = client.post(f"/v1/posts/{content['slug']}/comments", json=comment)
    assert response.status_code == 202, response.get_json()
    probes = [(s, p) for s, p in statements if re.search(r"author_key = ", s)]
    assert probes, "no history probe recorded"
    for statement, parameters in probes:
        lines = plan_of(app, statement, parameters)
        assert not scans_without_index(lines), "\n".join(lines)
        if not _pg(app):  # PostgreSQL's planner has statistics; SQLite's picks by shape
            searches = [line for line in lines if "comments" in line]
            assert all(re.search(r"author_key|ip_address", line) for line in searches), "\n".join(
                lines
            )


def test_the_check_catches_a_scan(app, content):
    """The checker itself: a query that can only scan posts is reported."""
    lines = plan_of(app, "SELECT id FROM posts WHERE length(body) > 3", {} if _pg(app) else ())
    assert scans_without_index(lines)


def _pg(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_comment_reads_its_post_settings_and_history_in_one_statement(app, client, content):
    """One round trip before the write (on PostgreSQL a comment took three: the post,
    the discussion settings, the history)."""
    comment = {"body": "Another remark.", "author_name": "Bo", "author_email": "bo@example.com"}
    with recorded_statements(app) as statements:
        response = client.post(f"/v1/posts/{content['slug']}/comments", json=comment)
    assert response.status_code == 202, response.get_json()
    reads = [
        s
        for s, _ in statements
        # (the event-ordering lock is a SELECT on PostgreSQL, taken by the write)
        if s.lstrip().upper().startswith("SELECT") and "pg_advisory" not in s
    ]
    assert len(reads) == 1, "\n\n".join(reads)
    assert "discussion_settings" in reads[0] and "author_key" in reads[0]
