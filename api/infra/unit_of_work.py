"""The unit of work: the one owner of every transaction.

Routes, worker tasks, the CLI and the event dispatcher open one::

    with unit_of_work():
        post = services.create_post(actor, data)

Services join it through the session and never commit. When the block ends without an
error, the unit of work writes what services staged for the end of the transaction (the
outbox's events first, then counters such as the comment status counts, in one order
for every transaction so that two of them never wait on each other in a cycle), commits,
and only then runs what waited for the commit (queueing work for the worker: nothing is
queued, and nothing sent, for a change that did not happen). Any error rolls everything
back, staged writes included.

The database's refusals become problems here, in one place: a constraint the change
breaks is a 409, a row that another transaction changed meanwhile (its version moved) a
412. A service that knows better words for its own refusal flushes with them
(`flush(conflict=..., stale=...)`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.errors import Conflict, PreconditionFailed
from api.infra.database import commit_pipelined, db, holds_transaction, pipelined
from api.infra.sqlite import is_sqlite

T = TypeVar("T")
_KEY = "marginalia.unit_of_work"
CONFLICT = "The change conflicts with the stored data (a slug or key already taken)."
STALE = "The resource changed while this request was being handled; fetch it again and retry."


class NoUnitOfWork(RuntimeError):
    """A service wrote outside a unit of work: the caller (route, task) must open one."""


class _Staged:
    __slots__ = ("order", "value", "writer")

    def __init__(self, order: int, writer: Callable[[Session, Any], None], value: Any):
        self.order, self.writer, self.value = order, writer, value


class UnitOfWork:
    """One transaction of the request's (or task's) session, and what waits for its end."""

    def __init__(self, session: Session):
        self.session = session
        self._staged: dict[str, _Staged] = {}
        self._after_commit: list[Callable[[], None]] = []
        self._remembered: dict[str, Any] = {}
        # Set by a caller that writes many records and tells of them once (an import):
        # the outbox then records no event of this unit of work but the ones it forces.
        self.events_muted = False

    def staged(
        self,
        name: str,
        *,
        writer: Callable[[Session, T], None],
        start: Callable[[], T],
        order: int,
    ) -> T:
        """The value (a list, a Counter ...) under `name` that `writer` writes just before
        the commit; created with `start()` the first time. Writers run by `order`."""
        entry = self._staged.get(name)
        if entry is None:
            entry = self._staged[name] = _Staged(order, writer, start())
        return entry.value

    def remembered(self, name: str, read: Callable[[], T]) -> T:
        """`read()` once per unit of work: what a handler run for each event of a batch
        needs from the database (the webhook endpoints) is read once for the batch."""
        if name not in self._remembered:
            self._remembered[name] = read()
        return self._remembered[name]

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    @property
    def after_commit_count(self) -> int:
        return len(self._after_commit)

    def wrap_after_commit(
        self, start: int, wrapper: Callable[[Callable[[], None]], Callable[[], None]]
    ) -> None:
        """Wrap the callbacks added from position `start` on (a group commit keeps each
        member's after-commit failures to that member: api/infra/group_commit.py)."""
        self._after_commit[start:] = [wrapper(callback) for callback in self._after_commit[start:]]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the work that may fail alone: on an error its rows, its staged
        values and its after-commit work are undone, and the error propagates."""
        staged = {name: (entry, copy.copy(entry.value)) for name, entry in self._staged.items()}
        waiting = len(self._after_commit)
        self._begin_on_sqlite()
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self._staged = {}
            for name, (entry, value) in staged.items():
                entry.value = value
                self._staged[name] = entry
            del self._after_commit[waiting:]
            raise

    def _begin_on_sqlite(self) -> None:
        """sqlite3 sends BEGIN only before a connection's first write, so a SAVEPOINT
        after nothing but reads would start the transaction itself, and releasing it
        would commit: begin the transaction first, as every other database has."""
        connection = self.session.connection()
        raw = connection.connection.dbapi_connection
        if is_sqlite(raw) and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")

    def flush(self, *, conflict: str = CONFLICT, stale: str = STALE) -> None:
        """Send the pending changes now, refusing with these words if the database does."""
        try:
            self.session.flush()
        except IntegrityError:
            raise Conflict(conflict) from None
        except StaleDataError:
            raise PreconditionFailed(stale) from None

    def _write_staged(self) -> None:
        """The changes, then the staged writes; on PostgreSQL the writers read no
        results, so they and the COMMIT go out pipelined, in one round trip."""
        self.session.flush()  # the changes themselves first, outside the writers' locks
        if not self._staged:
            return
        with pipelined(self.session):
            for entry in sorted(self._staged.values(), key=lambda staged: staged.order):
                entry.writer(self.session, entry.value)
            self._staged.clear()
            commit_pipelined(self.session)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """Open the transaction; commit when the block ends, roll back on any error."""
    session = db.session()
    if session.info.get(_KEY) is not None:
        raise RuntimeError("a unit of work is already open: services join it, never open one")
    if session.in_transaction():
        # Reads before the unit of work (a route's lookups) end here: what the unit of
        # work decides on is read inside it.
        session.rollback()
    uow = UnitOfWork(session)
    session.info[_KEY] = uow
    try:
        yield uow
        uow._write_staged()
        session.commit()  # sends nothing when the COMMIT went with the staged writes
    except IntegrityError:
        # Wherever it surfaced: an explicit flush, an autoflush before a query, the commit.
        session.rollback()
        raise Conflict(CONFLICT) from None
    except StaleDataError:
        session.rollback()
        raise PreconditionFailed(STALE) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_KEY, None)
    for callback in uow._after_commit:
        callback()


def current() -> UnitOfWork:
    """The unit of work the caller opened; services use it to stage and flush."""
    uow = db.session().info.get(_KEY)
    if uow is None:
        raise NoUnitOfWork("open a unit of work (api.infra.unit_of_work) before writing")
    return uow


def flush(*, conflict: str = CONFLICT, stale: str = STALE) -> None:
    current().flush(conflict=conflict, stale=stale)


def after_commit(callback: Callable[[], None]) -> None:
    current().after_commit(callback)


def end_reads() -> None:
    """End the caller's read transaction before it waits on something else (another
    host, the group commit): a read-only step of a workflow (a pingback's target check)
    must not hold a transaction open meanwhile. Reads made outside a transaction
    (`database.reads_outside_transaction`) hold none: their connection stays with the
    request (giving it back and taking it again cost ~5% of a comment's CPU)."""
    if holds_transaction():
        db.session().rollback()
