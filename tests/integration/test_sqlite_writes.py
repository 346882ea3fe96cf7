"""SQLite's writers queue on one lock per process (api/sqlite.py); whatever way a write
transaction ends (commit, rollback, a session closed mid-write, a failed statement),
the next writer in another thread goes ahead at once instead of hanging. PostgreSQL
needs no queue: writers of different rows go side by side."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from api.infra.database import db
from tests.conftest import ON_POSTGRES

_INSERT_TAG = text(
    "INSERT INTO tags (slug, name, description, created_at, updated_at, version) "
    "VALUES (:s, :s, '', '2026-01-01', '2026-01-01', 1)"
)


def _insert(slug: str) -> None:
    db.session.execute(_INSERT_TAG, {"s": slug})


def _writer_thread(app, slug: str) -> threading.Event:
    done = threading.Event()

    def write():
        with app.app_context():
            _insert(slug)
            db.session.commit()
            db.session.remove()
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "failed statement"])
def test_the_next_writer_goes_ahead_however_a_write_ends(app, ending):
    with app.app_context():
        _insert("first")
        if ending == "commit":
            db.session.commit()
        elif ending == "rollback":
            db.session.rollback()
        elif ending == "close":
            db.session.close()
        else:
            with pytest.raises(Exception):  # noqa: B017  (the driver's IntegrityError)
                _insert("first")  # the same slug again: refused
            db.session.rollback()
        db.session.remove()
    assert _writer_thread(app, "second").wait(timeout=10)


def test_a_writer_waits_for_the_one_before_it_on_sqlite_only(app):
    with app.app_context():
        _insert("holder")
        waiter = _writer_thread(app, "waiter")
        if ON_POSTGRES:
            assert waiter.wait(timeout=10)  # another row: no waiting at all
        else:
            assert not waiter.wait(timeout=0.3)  # queued behind the open write
        db.session.commit()
        db.session.remove()
    assert waiter.wait(timeout=10)
