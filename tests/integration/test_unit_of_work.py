"""The unit of work: one owner per transaction, and what it does at the end."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from api.content.models import Author
from api.errors import Conflict
from api.events import catalogue as events
from api.events.models import Event
from api.events.outbox import record_event
from api.infra import unit_of_work as uow_module
from api.infra.database import db, holds_transaction, reads_outside_transaction
from api.infra.unit_of_work import NoUnitOfWork, end_reads, unit_of_work


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_change_and_its_events_commit_together_and_after_commit_work_follows(app):
    ran = []
    with app.app_context():
        with unit_of_work() as uow:
            db.session.add(Author(slug="ada", name="Ada"))
            record_event(events.AUTHOR_CREATED, {"author": {"slug": "ada"}})
            uow.after_commit(lambda: ran.append(_count(Event)))
            assert ran == []  # nothing runs before the commit
        assert ran == [1]
        assert _count(Author) == 1
        db.session.remove()


def test_an_error_rolls_back_the_change_its_events_and_the_after_commit_work(app):
    ran = []
    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work() as uow:
            db.session.add(Author(slug="ada", name="Ada"))
            record_event(events.AUTHOR_CREATED, {"author": {"slug": "ada"}})
            uow.after_commit(lambda: ran.append(True))
            raise RuntimeError("the service refused")
        assert ran == []
        assert _count(Author) == 0 and _count(Event) == 0
        db.session.remove()


def test_a_broken_constraint_anywhere_in_the_block_is_a_409(app):
    with app.app_context():
        with unit_of_work():
            db.session.add(Author(slug="ada", name="Ada"))
        with pytest.raises(Conflict), unit_of_work():
            db.session.add(Author(slug="ada", name="Another Ada"))
            # The autoflush of this query is where the database refuses: not a 500.
            db.session.scalar(select(Author.id).where(Author.name == "x"))
        assert _count(Author) == 1
        db.session.remove()


def test_services_cannot_write_without_one_and_cannot_open_a_second(app):
    with app.app_context():
        with pytest.raises(NoUnitOfWork):
            record_event(events.AUTHOR_CREATED, {})
        with pytest.raises(RuntimeError, match="already open"), unit_of_work(), unit_of_work():
            pass
        db.session.remove()


def test_event_types_come_from_the_catalogue(app):
    with app.app_context(), pytest.raises(TypeError), unit_of_work():
        record_event("author.created", {})


def test_staged_writers_run_once_in_order_after_the_changes(app):
    written = []
    with app.app_context():
        with unit_of_work() as uow:
            later = uow.staged(
                "b", writer=lambda s, v: written.append(("b", dict(v))), start=Counter, order=2
            )
            first = uow.staged(
                "a", writer=lambda s, v: written.append(("a", list(v))), start=list, order=1
            )
            later["x"] += 1
            first.append(1)
            assert uow.staged("b", writer=None, start=Counter, order=2) is later
            later["x"] += 1
        assert written == [("a", [1]), ("b", {"x": 2})]
        db.session.remove()


def test_a_savepoint_undoes_its_rows_and_its_staged_values_alone(app):
    with app.app_context():
        with unit_of_work() as uow:
            record_event(events.AUTHOR_CREATED, {"author": {"slug": "kept"}})
            db.session.add(Author(slug="kept", name="Kept"))
            with pytest.raises(RuntimeError), uow.savepoint():
                db.session.add(Author(slug="undone", name="Undone"))
                db.session.flush()
                record_event(events.AUTHOR_CREATED, {"author": {"slug": "undone"}})
                uow.after_commit(lambda: pytest.fail("undone work must not run"))
                raise RuntimeError("this part failed")
        assert db.session.scalars(select(Author.slug)).all() == ["kept"]
        recorded = db.session.scalars(select(Event.data)).all()
        assert recorded == [{"author": {"slug": "kept"}}]
        db.session.remove()


def test_current_names_the_open_unit_of_work(app):
    with app.app_context():
        with unit_of_work() as uow:
            assert uow_module.current() is uow
        with pytest.raises(NoUnitOfWork):
            uow_module.current()
        db.session.remove()


def test_reads_outside_a_transaction_hold_none_and_a_write_holds_one(app):
    # The group commit relies on this: a request that only read keeps its connection
    # while it waits (end_reads leaves it alone), and one that wrote gives its up.
    with app.app_context():
        reads_outside_transaction()
        assert _count(Author) == 0
        assert not holds_transaction()
        end_reads()
        db.session.remove()
        with unit_of_work():
            db.session.add(Author(slug="ada", name="Ada"))
            db.session.flush()
            assert holds_transaction()
        assert not holds_transaction()
        db.session.remove()


_INSERT_AUTHOR = text(
    "INSERT INTO authors (slug, name, bio, created_at, updated_at, version) "
    "VALUES (:s, :s, '', :t, :t, 1)"
)


def test_a_staged_writer_the_database_refuses_is_a_409_and_leaves_nothing(app):
    # On PostgreSQL the staged writers' statements go out pipelined and the refusal
    # only arrives when the block ends: it must still be the unit of work's 409.
    def insert_twice(session, slugs):
        for slug in slugs:
            session.execute(_INSERT_AUTHOR, {"s": slug, "t": "2026-01-01 00:00:00+00:00"})

    with app.app_context():
        with unit_of_work() as uow:  # the writer itself writes: a unique slug is stored
            uow.staged("once", writer=insert_twice, start=list, order=1).append("al")
        with pytest.raises(Conflict), unit_of_work() as uow:
            db.session.add(Author(slug="ada", name="Ada"))
            uow.staged("twice", writer=insert_twice, start=list, order=1).extend(["bo", "bo"])
        db.session.remove()
        assert set(db.session.scalars(select(Author.slug))) == {"al"}
        db.session.remove()
