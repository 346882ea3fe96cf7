"""The outbox: events commit with their change, read back in order, feed consumers once."""

import sqlite3
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from api.content.models import Tag
from api.content.tasks import publish_due_posts
from api.events import catalogue, dispatch
from api.events.catalogue import in_area
from api.events.feed import latest_event_id, list_events
from api.events.models import EventCursor
from api.infra.database import db
from tests.conftest import ON_POSTGRES, bearer


def test_a_refused_change_records_nothing(client, admin, publish, author, events):
    publish("Taken")
    before = events()
    response = client.post(
        "/v1/posts",
        json={
            "title": "Clash",
            "slug": "taken",
            "tags": ["Brand new tag"],
            "author": author["slug"],
        },
        headers=admin,
    )
    assert response.status_code == 409
    assert events() == before
    assert client.get("/v1/tags/brand-new-tag").status_code == 404


def test_feed_lists_events_in_order_with_type_filters_and_pages(client, admin, publish):
    for n in range(3):
        publish(f"Post {n}")
    everything = client.get("/v1/events", headers=admin).get_json()["items"]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids)
    assert {e["type"] for e in everything} == {"author.created", "post.published"}
    assert set(everything[0]) == {"id", "type", "timestamp", "data"}
    assert everything[0]["timestamp"].endswith("Z")

    posts_only = client.get("/v1/events?types=post.*", headers=admin).get_json()["items"]
    assert [e["type"] for e in posts_only] == ["post.published"] * 3
    exact = client.get("/v1/events?types=author.created", headers=admin).get_json()["items"]
    assert len(exact) == 1

    page = client.get("/v1/events?limit=2", headers=admin)
    assert page.headers["Link"].startswith("</v1/events?")
    rest = client.get(page.get_json()["next"], headers=admin).get_json()["items"]
    assert [e["id"] for e in page.get_json()["items"] + rest] == ids
    after_last = client.get(f"/v1/events?after={ids[-1]}", headers=admin).get_json()
    assert after_last["items"] == [] and after_last["next"] is None


def test_feed_is_for_admins(client, make_token):
    assert client.get("/v1/events").status_code == 401
    for role in ("editor", "moderator"):
        assert client.get("/v1/events", headers=bearer(make_token(role))).status_code == 403


def test_each_consumer_sees_each_event_once_in_order(app, publish, subscribe):
    seen = []
    subscribe("test-recorder", in_area("post"), lambda event: seen.append(event.id))
    publish("First")
    publish("Second")
    with app.app_context():
        dispatch.dispatch_pending()
        dispatch.dispatch_pending()
        db.session.remove()
    publish("Third")
    with app.app_context():
        dispatch.dispatch_pending()
        db.session.remove()
    assert len(seen) == 3 and seen == sorted(seen)


def test_a_failing_consumer_retries_the_same_event(app, publish, subscribe, caplog):
    calls = []

    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("downstream hiccup")

    subscribe("test-flaky", in_area("post"), flaky)
    publish("Only")
    with app.app_context():
        dispatch.dispatch_pending()
        dispatch.dispatch_pending()
        db.session.remove()
    assert calls[0] == calls[1] and len(calls) == 2
    assert "test-flaky failed" in caplog.text


def test_a_poison_event_does_not_hold_back_the_events_before_it(app, publish, subscribe, caplog):
    handled = []

    def fails_on_second(event):
        if event.data["post"]["title"] == "Poison":
            raise RuntimeError("cannot handle this one")
        handled.append(event.id)

    subscribe("test-poison", in_area("post"), fails_on_second)
    publish("Fine")
    publish("Poison")
    publish("After")
    with app.app_context():
        dispatch.dispatch_pending()
        dispatch.dispatch_pending()
        cursor = db.session.get(EventCursor, "test-poison")
        stopped_at = cursor.last_event_id
        db.session.remove()
    # The events before the poison one stay handled (a failed batch is redone one by
    # one, so the good one may run twice: handlers are idempotent); the cursor waits
    # at the poison event, which is retried on every run, not skipped.
    assert len(set(handled)) == 1 and stopped_at == handled[0]
    assert "test-poison failed" in caplog.text


def test_scheduled_posts_publish_once_when_due(app, client, admin, author, events):
    when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    post = client.post(
        "/v1/posts",
        json={
            "title": "Later",
            "status": "scheduled",
            "published_at": when,
            "author": author["slug"],
        },
        headers=admin,
    ).get_json()
    with app.app_context():
        assert publish_due_posts() == 0
        past = datetime.now(UTC) - timedelta(seconds=5)
        db.session.execute(
            text("UPDATE posts SET published_at = :t WHERE slug = :s"),
            {
                "t": past.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else past,
                "s": post["slug"],
            },
        )
        db.session.commit()
        assert publish_due_posts() == 1
        assert publish_due_posts() == 0
        db.session.remove()
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["status"] == "published"
    published = events("post.published")
    assert len(published) == 1 and published[0][1]["scheduled"] is True


def test_the_event_watcher_dispatches_what_committed_since_it_last_looked(app, publish, subscribe):
    from api.events.watcher import EventWatcher

    seen = []
    subscribe("test-watched", in_area("post"), lambda event: seen.append(event.id))
    watcher = EventWatcher(app)
    publish("One")
    publish("Two")
    first = watcher.check()
    quiet = watcher.check(), watcher.check()  # caught up: nothing to hand on
    publish("Three")
    later = watcher.check()
    assert first >= 2 and len(seen) == 3 and seen == sorted(seen)
    assert quiet == (0, 0) and later >= 1


def test_a_failing_batch_rolls_back_its_rows_and_cursor_together(app, publish, subscribe):
    """One unit of work per batch: the handler's rows and the cursor's move commit or
    roll back together, and the cursor stays locked to this worker for the whole batch
    (nothing the handlers do commits it early)."""
    held_while_handling = []

    def marks(event):
        if event.data["post"]["title"] == "Poison":
            raise RuntimeError("cannot handle this one")
        db.session.add(Tag(slug=f"seen-{event.id}", name="seen"))
        db.session.flush()
        held_while_handling.append(_cursor_is_held_elsewhere(app, "test-atomic"))

    subscribe("test-atomic", in_area("post"), marks)
    publish("Fine")
    publish("Also fine")
    publish("Poison")
    with app.app_context():
        dispatch.dispatch_pending()
        ids = [event.id for event in list_events(0, 100, ["post.*"])]
        marked = db.session.scalars(select(Tag.slug).where(Tag.slug.like("seen-%"))).all()
        cursor = db.session.get(EventCursor, "test-atomic").last_event_id
        db.session.remove()
    # The batch (2 marks, then the poison) rolled back whole, then ran one by one: each
    # good event marked once, the cursor before the poison event.
    assert sorted(marked) == [f"seen-{ids[0]}", f"seen-{ids[1]}"]
    assert cursor == ids[1]
    assert held_while_handling and all(held_while_handling)


def _cursor_is_held_elsewhere(app, name: str) -> bool:
    """Whether another connection is kept from taking the consumer's cursor now."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with engine.connect() as other:
            if other.dialect.name == "postgresql":
                locked = other.execute(
                    text(
                        "SELECT name FROM event_cursors WHERE name = :name FOR UPDATE SKIP LOCKED"
                    ),
                    {"name": name},
                ).first()
                return locked is None
            other.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                other.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError:
                return True  # the batch's transaction holds the database's write lock
            other.exec_driver_sql("ROLLBACK")
            return False
    finally:
        engine.dispose()


def test_a_typed_consumer_reads_only_its_events_and_moves_past_the_rest(
    app, client, publish, subscribe
):
    seen = []
    subscribe("test-published-only", (catalogue.POST_PUBLISHED,), lambda e: seen.append(e.type))
    publish("First")
    client.post(
        "/v1/posts/first/comments",
        json={"body": "Hello", "author_name": "Ann", "author_email": "ann@example.org"},
    )
    with app.app_context():
        dispatch.dispatch_pending()
        latest = latest_event_id()
        cursor = db.session.get(EventCursor, "test-published-only").last_event_id
        db.session.remove()
    assert seen == ["post.published"]
    # The comment's event came last: the consumer is past it, not stuck before it.
    assert cursor == latest
    publish("Second")
    with app.app_context():
        dispatch.dispatch_pending()
        db.session.remove()
    assert seen == ["post.published", "post.published"]


def test_a_consumer_with_nothing_configured_moves_past_events_unread(app, publish, subscribe):
    """No SMTP server, no hub, no endpoint: the consumer's handler would do nothing, so
    its events are not read; once it is configured, it hears of what comes next."""
    configured, seen = [], []
    subscribe(
        "test-unconfigured",
        in_area("post"),
        lambda event: seen.append(event.data["post"]["title"]),
        needed=lambda: bool(configured),
    )
    publish("Before")
    with app.app_context():
        dispatch.dispatch_pending()
        cursor = db.session.get(EventCursor, "test-unconfigured").last_event_id
        latest = latest_event_id()
        db.session.remove()
    assert seen == [] and cursor == latest
    configured.append(True)
    publish("After")
    with app.app_context():
        dispatch.dispatch_pending()
        db.session.remove()
    assert seen == ["After"]


def test_a_failing_configuration_check_holds_no_consumer_back(app, publish, subscribe, caplog):
    def broken():
        raise RuntimeError("settings unreadable")

    seen, checked = [], []
    subscribe("test-checked", in_area("post"), lambda e: checked.append(e.id), needed=broken)
    subscribe("test-plain", in_area("post"), lambda e: seen.append(e.id))
    publish("Still heard")
    with app.app_context():
        dispatch.dispatch_pending()
        db.session.remove()
    assert len(seen) == 1 and checked == seen  # each ran as if needed
    assert "moving the idle ones failed" in caplog.text


def test_handlers_run_without_holding_the_write_lock(app, publish, subscribe):
    """A batch of events must not keep other writers out while its handlers run: on
    SQLite the cursor's move, flushed early, held the one write lock for the whole
    batch (up to a second of every comment's intake waiting)."""
    writable_while_handling = []

    def handler(event):
        db.session.execute(select(EventCursor))  # a handler's query (autoflush)
        writable_while_handling.append(_another_writer_gets_in(app))

    subscribe("test-lock-free", in_area("post"), handler)
    for title in ("One", "Two", "Three"):
        publish(title)
    with app.app_context():
        dispatch.dispatch_pending()
        db.session.remove()
    assert writable_while_handling == [True, True, True]


def _another_writer_gets_in(app) -> bool:
    """Whether another connection can write this moment, without waiting."""
    with app.app_context():
        engine = db.engine
    if ON_POSTGRES:
        with engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '50ms'")
            try:
                other.execute(_INSERT_TAG)
            except OperationalError:
                return False
            other.rollback()
        return True
    raw = sqlite3.connect(engine.url.database, timeout=0)
    try:
        raw.execute(str(_INSERT_TAG))
        raw.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        raw.close()


_INSERT_TAG = text(
    "INSERT INTO tags (slug, name, description, created_at, updated_at, version) "
    "VALUES ('probe', 'probe', '', '2026-01-01', '2026-01-01', 1)"
)
