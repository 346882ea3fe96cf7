"""SQLite's writers queue on one lock per process and one file lock across processes
(api/infra/sqlite.py); whatever way a write transaction ends (commit, rollback, a
session closed mid-write, a failed statement), the next writer in another thread goes
ahead at once instead of hanging. PostgreSQL needs no queue: writers of different rows
go side by side."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from sqlalchemy import text

from api.infra import sqlite as sqlite_locks
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


# --- across processes: the <database>.writer file lock -------------------------------


def _hold_in_child(lock, holding_write, release_read) -> int:
    """Fork a child that takes `lock`, says so, and lets go when told."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            lock.take()
            os.write(holding_write, b"1")
            os.read(release_read, 1)
            lock.let_go()
        finally:
            os._exit(0)
    return pid


def test_a_forked_worker_takes_the_writer_lock_on_its_own_file(tmp_path):
    """gunicorn forks workers from a process that may have written already: an flock
    belongs to the open file, so a child that kept the parent's would share its lock and
    both would write at once (then SQLite's busy handler polled: a third of the time)."""
    lock = sqlite_locks._FileLock(str(tmp_path / "blog.db.writer"))
    lock.take()  # the parent opened the file and wrote once
    lock.let_go()
    holding_read, holding_write = os.pipe()
    release_read, release_write = os.pipe()
    child = _hold_in_child(lock, holding_write, release_read)
    try:
        assert os.read(holding_read, 1) == b"1"
        with pytest.raises(BlockingIOError):  # the parent's own file is held by the child
            fcntl.flock(lock.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.write(release_write, b"1")
        os.waitpid(child, 0)
    fcntl.flock(lock.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the child let go
    fcntl.flock(lock.fd, fcntl.LOCK_UN)


def test_a_write_holds_the_database_file_lock_until_it_commits_on_sqlite_only(app):
    """What another process's writer waits on (woken by the kernel at the commit, where
    SQLite's busy handler slept up to 100 ms between tries). PostgreSQL's writers need
    no file: they never hold one."""
    with app.app_context():
        lock_file = f"{os.path.abspath(db.engine.url.database)}.writer"
    if ON_POSTGRES:
        with app.app_context():
            _insert("holder")
            db.session.commit()
            db.session.remove()
        assert not os.path.exists(lock_file)
        return
    probe = os.open(lock_file, os.O_RDWR)
    try:
        with app.app_context():
            _insert("holder")
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            db.session.commit()
            db.session.remove()
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(probe, fcntl.LOCK_UN)
    finally:
        os.close(probe)
