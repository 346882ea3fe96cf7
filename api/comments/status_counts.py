"""How many comments have each status, without counting the comments.

`GET /v1/moderation/counts` must not grow with the table, so a four-row table
(`comment_status_counts`) is kept in the same transaction as every change of a
comment's status: intake, moderation, pingbacks, imports, purge, a deleted post.

Services say what changed (`added`, `moved`, `removed`); the changes are summed in the
caller's unit of work and written by one upsert per status at its end, after the events.
Writing last keeps the lock order the same in every transaction (comment rows, then the
events lock, then these rows, in status order), so two transactions never wait on each
other in a cycle; and a rolled-back transaction writes nothing.
"""

from __future__ import annotations

import functools
from collections import Counter

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.comments.models import COMMENT_STATUSES, Comment, CommentStatusCount
from api.events.outbox import EVENTS_ORDER
from api.infra import unit_of_work
from api.infra.database import db, executor


def _deltas() -> Counter:
    return unit_of_work.current().staged(
        "comment status counts", writer=_write, start=Counter, order=EVENTS_ORDER + 1
    )


def added(status: str, n: int = 1) -> None:
    _deltas()[status] += n


def removed(status: str, n: int = 1) -> None:
    _deltas()[status] -= n


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
    """Set the counts from the comments (after a bulk load that bypassed the services),
    in the caller's unit of work."""
    _apply(unit_of_work.current().session, counted_afresh(), replace=True)


def _apply(session: Session, deltas: dict[str, int], *, replace: bool = False) -> None:
    statement = _upsert(session.get_bind().dialect.name, replace)
    run = executor(session)
    for status in sorted(deltas):  # one order for every transaction: no lock cycles
        n = deltas[status]
        if n or replace:
            run.execute(statement, {"status": status, "n": n})


@functools.cache
def _upsert(dialect: str, replace: bool):
    """The upsert of one status's count: built once (it runs on every comment)."""
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    table = CommentStatusCount.__table__
    statement = insert(table).values(status=bindparam("status"), count=bindparam("n"))
    value = statement.excluded.count if replace else table.c.count + statement.excluded.count
    return statement.on_conflict_do_update(index_elements=["status"], set_={"count": value})


def _write(session: Session, deltas: Counter) -> None:
    if any(deltas.values()):
        _apply(session, dict(deltas))
