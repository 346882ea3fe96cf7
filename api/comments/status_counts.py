"""How many comments have each status, without counting the comments.

`GET /v1/moderation/counts` must not grow with the table, so a four-row table
(`comment_status_counts`) is kept in the same transaction as every change of a
comment's status: intake, moderation, pingbacks, imports, purge, a deleted post.

Services say what changed (`added`, `moved`, `removed`); the changes are summed in the
session and written by one upsert per status just before the commit. Writing last
keeps the lock order the same in every transaction (comment rows, then the events
lock, then these rows, in status order), so two transactions never wait on each other
in a cycle; and a rolled-back transaction writes nothing.
"""

from __future__ import annotations

import functools
from collections import Counter

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.comments.models import COMMENT_STATUSES, Comment, CommentStatusCount
from api.infra.database import db

_PENDING_KEY = "comment_status_deltas"


def _deltas(session: Session) -> Counter:
    return session.info.setdefault(_PENDING_KEY, Counter())


def added(status: str, n: int = 1) -> None:
    _deltas(db.session)[status] += n


def removed(status: str, n: int = 1) -> None:
    _deltas(db.session)[status] -= n


def moved(from_status: str, to_status: str, n: int = 1) -> None:
    if from_status != to_status:
        removed(from_status, n)
        added(to_status, n)


def current() -> dict[str, int]:
    """The counts per status (every status present, 0 when none)."""
    rows = db.session.execute(select(CommentStatusCount.status, CommentStatusCount.count))
    counts = dict.fromkeys(COMMENT_STATUSES, 0)
    counts.update({status: count for status, count in rows if status in counts})
    return counts


def counted_afresh() -> dict[str, int]:
    """The counts as a GROUP BY over the comments gives them (tests, `rebuild`)."""
    rows = db.session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
    counts = dict.fromkeys(COMMENT_STATUSES, 0)
    counts.update(dict(rows))
    return counts


def rebuild() -> None:
    """Set the counts from the comments (after a bulk load that bypassed the services)."""
    _apply(db.session, counted_afresh(), replace=True)
    db.session.commit()


def _apply(session: Session, deltas: dict[str, int], *, replace: bool = False) -> None:
    statement = _upsert(session.get_bind().dialect.name, replace)
    for status in sorted(deltas):  # one order for every transaction: no lock cycles
        n = deltas[status]
        if n or replace:
            session.execute(statement, {"status": status, "n": n})


@functools.cache
def _upsert(dialect: str, replace: bool):
    """The upsert of one status's count: built once (it runs on every comment)."""
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    table = CommentStatusCount.__table__
    statement = insert(table).values(status=bindparam("status"), count=bindparam("n"))
    value = statement.excluded.count if replace else table.c.count + statement.excluded.count
    return statement.on_conflict_do_update(index_elements=["status"], set_={"count": value})


def _write_before_commit(session: Session) -> None:
    if not session.info.get(_PENDING_KEY):
        return
    session.flush()  # the status changes themselves come first
    deltas = session.info.pop(_PENDING_KEY, Counter())
    if any(deltas.values()):
        _apply(session, dict(deltas))


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def install_session_hooks() -> None:
    if event.contains(Session, "before_commit", _write_before_commit):
        return
    event.listen(Session, "before_commit", _write_before_commit)
    event.listen(Session, "after_transaction_end", _forget)
