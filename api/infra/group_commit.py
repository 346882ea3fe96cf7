"""Group commit: the writes of requests that arrive together, in one unit of work.

    receipt = committed_together(intake.store_comments, decided)

A request thread reads and decides on its own (its lookups, the rules), then hands what
it decided to its process's group commit. The first request to find nobody committing
leads: in its own thread it takes every item waiting (up to `most`), passes the items
of each writer to it in one call (`store_comments([a, b, c])`: one multi-row insert),
in one unit of work, and commits once; the others wait meanwhile, and the first of
those that arrived during the commit leads the next one. Each request gets its own
result only after the commit, so an answer still means a durable row. A writer takes
a list of items and returns a list of results, one per item, in order.

Why: every transaction that records an event holds the database's write lock (SQLite)
or the event-ordering lock (PostgreSQL) from its first write, or its events' insert,
through its commit. Measured with comments arriving from 16 connections on two gunicorn
workers, that hold, about 2.4 ms a comment, capped intake near 400 a second with the
CPU a third idle: a batch of eight holds it about as long as one comment did.

When a writer's call fails (a constraint one row breaks), the batch is rolled back and
each of that call's items is tried alone, so only the item at fault is refused; the same
when the commit itself fails. After-commit work (queueing tasks) runs after the shared
commit; when it fails, every item of that writer's call gets the error.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

from api.infra.database import db
from api.infra.unit_of_work import UnitOfWork, end_reads, unit_of_work

log = logging.getLogger(__name__)
T = TypeVar("T")
_EXTENSION = "marginalia.group_commit"


Writer = Callable[[list[Any]], list[Any]]


class _Item:
    __slots__ = ("error", "item", "leads", "result", "settled", "writer")

    def __init__(self, writer: Writer, item: Any):
        self.writer, self.item = writer, item
        # Held until the item is settled (or its caller is to lead): the waiting request
        # blocks on it in C, and is woken with one release (a threading.Event's
        # Condition cost several times more in Python).
        self.settled = threading.Lock()
        self.settled.acquire()
        self.leads = False
        self.result: Any = None
        self.error: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error


class GroupCommitter:
    """One per app and process: the waiting writes, committed together by one of their
    own callers (the leader), in its thread.

    The first caller to find nobody committing leads: it commits every item waiting
    then (its own first), wakes their callers, and hands the lead to the first caller
    that arrived meanwhile, if any. No thread of its own: handing each item to a
    committer thread and back cost two thread switches per comment, measured at
    ~15% of a comment's CPU (in-process, one client)."""

    def __init__(self, app: Flask, *, most: int = 32):
        self.app = app
        self.most = most
        self._guard = threading.Lock()
        self._pid = -1
        self._waiting: list[_Item] = []
        self._leading = False

    def waiting(self) -> int:
        """How many items wait for a leader to commit them."""
        with self._guard:
            return len(self._waiting)

    def run(self, writer: Writer, item: Any) -> Any:
        """`writer([item, ...])` in a unit of work shared with the items waiting beside
        it; this item's result once that unit of work has committed, or its error."""
        job = _Item(writer, item)
        with self._guard:
            if self._pid != os.getpid():
                # A forked worker inherits neither the leader nor anything waiting.
                self._pid, self._waiting, self._leading = os.getpid(), [], False
            self._waiting.append(job)
            job.leads = not self._leading
            self._leading = True
        if not job.leads:
            job.settled.acquire()  # settled, or woken to lead
        if job.leads:
            self._lead()
        if job.error is not None:
            raise job.error
        return job.result

    def _lead(self) -> None:
        """Commit what waits (this leader's own item first), then pass the lead on."""
        with self._guard:
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
        try:
            with self.app.app_context():
                try:
                    self._commit(batch)
                finally:
                    db.session.remove()
        except BaseException as error:  # never leave a request waiting
            log.exception("group commit failed")
            for job in batch:
                job.fail(error)
        finally:
            with self._guard:
                following = self._waiting[0] if self._waiting else None
                self._leading = following is not None
            for job in batch[1:]:
                job.settled.release()
            if following is not None:
                following.leads = True
                following.settled.release()

    def _commit(self, batch: list[_Item]) -> None:
        calls: dict[Writer, list[_Item]] = {}
        for job in batch:
            calls.setdefault(job.writer, []).append(job)
        refused = self._commit_together(list(calls.values()))
        if refused is not None:
            for job in refused:  # which item the database refused: each alone
                self._commit_together([[job]])
            self._commit([job for job in batch if job not in refused])

    def _commit_together(self, calls: list[list[_Item]]) -> list[_Item] | None:
        """Each writer's call in one unit of work. Returns the items of the call that
        failed (the unit of work was rolled back: the rest must run again), else None."""
        running: list[_Item] = []
        committed = threading.Event()
        done = []
        try:
            with unit_of_work() as uow:
                uow.after_commit(committed.set)  # first: tells a failed commit apart
                for call in calls:
                    running = call
                    start = uow.after_commit_count
                    results = call[0].writer([job.item for job in call])
                    _guard_after_commit(uow, start, call)
                    done.append((call, results))
                running = []
        except BaseException as error:
            if not committed.is_set() and len(calls) == 1 and len(calls[0]) == 1:
                calls[0][0].fail(error)  # alone: the error is its own
                return None
            if running:
                return running
            if not committed.is_set():
                return [job for call in calls for job in call]
            raise  # after the commit: an unguarded callback (none are)
        for call, results in done:
            for job, result in zip(call, results, strict=True):
                job.result = result
        return None


def _guard_after_commit(uow: UnitOfWork, start: int, call: list[_Item]) -> None:
    """A call's after-commit work fails as its items' error, and never keeps the other
    calls' work from running."""

    def guarded(callback: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                callback()
            except Exception as error:
                for job in call:
                    job.fail(error)

        return run

    uow.wrap_after_commit(start, guarded)


def committed_together(writer: Callable[[list[Any]], list[T]], item: Any) -> T:
    """`writer([item, ...])` in the current app's group commit (see the module's
    docstring): this item's result. The caller's reads end here: what it decided on was
    read before."""
    end_reads()
    committer = current_app.extensions.get(_EXTENSION)
    if committer is None:
        committer = current_app.extensions.setdefault(
            _EXTENSION, GroupCommitter(current_app._get_current_object())
        )
    return committer.run(writer, item)
