"""The group commit (api/infra/group_commit.py): the writes waiting together commit in
one unit of work, each caller gets its own result or its own refusal, and nothing of a
refused item is left behind."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from api.content.models import Tag
from api.errors import Conflict
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.group_commit import GroupCommitter

_INSERT_TAG = text(
    "INSERT INTO tags (slug, name, description, created_at, updated_at, version) "
    "VALUES (:s, :s, '', '2026-01-01', '2026-01-01', 1)"
)


class GatedWriter:
    """Inserts a tag per item; its first call waits at the gate, so the items sent
    meanwhile queue up and arrive together in the second call."""

    def __init__(self, *, after_commit=None):
        self.calls: list[list[str]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.after_commit = after_commit or {}

    def __call__(self, slugs: list[str]) -> list[str]:
        self.calls.append(list(slugs))
        if len(self.calls) == 1:
            self.entered.set()
            assert self.gate.wait(10)
        for slug in slugs:
            db.session.execute(_INSERT_TAG, {"s": slug})
            if slug in self.after_commit:
                unit_of_work.after_commit(self.after_commit[slug])
        return [f"stored {slug}" for slug in slugs]


def _send_together(committer, writer, first: str, rest: list[str]) -> dict[str, object]:
    """`first` alone, then `rest` while the first call waits at the gate; each item's
    result, or the exception its caller got."""
    outcomes: dict[str, object] = {}

    def send(slug):
        try:
            outcomes[slug] = committer.run(writer, slug)
        except Exception as error:  # the caller's own refusal
            outcomes[slug] = error

    with ThreadPoolExecutor(max_workers=len(rest) + 1) as pool:
        pool.submit(send, first)
        assert writer.entered.wait(10)
        for slug in rest:
            pool.submit(send, slug)
        while committer.waiting() < len(rest):  # all of them waiting
            threading.Event().wait(0.01)
        writer.gate.set()
    return outcomes


def _tags(app) -> set[str]:
    with app.app_context():
        slugs = set(db.session.scalars(select(Tag.slug)))
        db.session.remove()
    return slugs


def _commits_counted(app):
    counted = []
    with app.app_context():
        engine = db.engine

    def on_commit(connection):
        counted.append(1)

    from sqlalchemy import event

    event.listen(engine, "commit", on_commit)
    return counted, lambda: event.remove(engine, "commit", on_commit)


def test_writes_waiting_together_commit_once_and_each_caller_gets_its_own_result(app):
    committer, writer = GroupCommitter(app), GatedWriter()
    commits, stop_counting = _commits_counted(app)
    try:
        outcomes = _send_together(committer, writer, "first", ["a", "b", "c", "d", "e"])
    finally:
        stop_counting()
    assert outcomes == {slug: f"stored {slug}" for slug in ["first", "a", "b", "c", "d", "e"]}
    assert writer.calls == [["first"], ["a", "b", "c", "d", "e"]]
    assert len(commits) == 2  # one per batch, not one per write
    assert _tags(app) == {"first", "a", "b", "c", "d", "e"}


def test_an_item_the_database_refuses_is_refused_alone(app):
    committer = GroupCommitter(app)
    seed = GatedWriter()
    seed.gate.set()
    committer.run(seed, "taken")
    writer = GatedWriter()
    outcomes = _send_together(committer, writer, "first", ["a", "taken", "b"])
    assert isinstance(outcomes["taken"], Conflict)  # 409, as a unit of work answers
    assert outcomes["a"] == "stored a" and outcomes["b"] == "stored b"
    assert outcomes["first"] == "stored first"
    # The batch was rolled back and the others written without it: nothing twice.
    assert _tags(app) == {"taken", "first", "a", "b"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 4
        db.session.remove()


def test_after_commit_work_that_fails_is_its_own_items_error_only(app):
    ran = []

    def fails():
        raise RuntimeError("the queue is down")

    committer = GroupCommitter(app)
    writer = GatedWriter(after_commit={"a": lambda: ran.append("a"), "b": fails})
    writer.calls.append([])  # no gate: every item in one call
    writer.gate.set()
    barrier = threading.Barrier(2)

    def send(slug):
        barrier.wait()
        try:
            return committer.run(writer, slug)
        except RuntimeError as error:
            return error

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(send, ["a", "b"]))
    # "b"'s callback failed: its caller hears of it (its row is stored, as with a unit
    # of work of its own); "a"'s callback still ran and its caller got its result.
    assert results[0] == "stored a"
    assert isinstance(results[1], RuntimeError)
    assert ran == ["a"]
    assert _tags(app) == {"a", "b"}


def test_a_caller_nobody_is_committing_for_commits_in_its_own_thread(app):
    # No committer thread to hand each item to and back (two thread switches a
    # comment): the caller leads, and the next caller leads again.
    threads = []

    def writer(slugs):
        threads.append(threading.get_ident())
        for slug in slugs:
            db.session.execute(_INSERT_TAG, {"s": slug})
        return slugs

    committer = GroupCommitter(app)
    assert committer.run(writer, "one") == "one"
    assert committer.run(writer, "two") == "two"
    assert threads == [threading.get_ident()] * 2
    assert committer.waiting() == 0
    assert _tags(app) == {"one", "two"}


def test_the_lead_passes_to_a_caller_that_waited_and_every_caller_is_answered(app):
    committer, writer = GroupCommitter(app), GatedWriter()
    outcomes = _send_together(committer, writer, "first", ["a", "b"])
    assert outcomes == {"first": "stored first", "a": "stored a", "b": "stored b"}
    assert committer.waiting() == 0 and not committer._leading
    # The next caller finds nobody leading and leads at once.
    writer.gate.set()
    assert committer.run(writer, "c") == "stored c"


@pytest.mark.parametrize("failure", [ValueError("bad"), Conflict("taken")])
def test_a_lone_item_that_fails_raises_its_error_to_its_caller(app, failure):
    def writer(items):
        db.session.execute(_INSERT_TAG, {"s": "never"})
        raise failure

    with pytest.raises(type(failure)):
        GroupCommitter(app).run(writer, "x")
    assert _tags(app) == set()  # rolled back
