"""The source ids an import remembers (transfer_sources), in the caller's unit of work."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import inspect, select

from api.infra.database import db
from api.infra.timestamps import utcnow
from api.transfer.models import SourceRecord


def fingerprint(data: object) -> str:
    """A hash of what an import wrote for a record: equal when nothing changed."""
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# During an import (`written_here`): per source, either False (the ledger held records
# of it when the import began: every lookup asks the database) or the hashes of the keys
# this import remembered. A source new to the ledger can only have what this import wrote,
# so a key whose hash is not in the set is known absent without a SELECT (a hash that is
# there, or collides, costs the usual SELECT: the set only ever saves work).
_written: ContextVar[dict[str, set[int] | bool] | None] = ContextVar("_written", default=None)


# During an import: the records this batch remembered or looked up, by key (a comment's
# post is looked up once for its comments). Cleared at each batch's end (`batch_done`);
# a record whose savepoint was rolled back is no longer persistent and is asked for again.
_recent: ContextVar[dict[tuple[str, str, str], SourceRecord] | None] = ContextVar(
    "_recent", default=None
)


@contextmanager
def written_here() -> Iterator[None]:
    """Around one import: lookups of a source the ledger did not know before it skip the
    SELECT for records this import has not written (most of a first import's lookups),
    and a record this batch already read or wrote is not read again."""
    token, recent = _written.set({}), _recent.set({})
    try:
        yield
    finally:
        _recent.reset(recent)
        _written.reset(token)


def batch_done() -> None:
    """The batch's unit of work ends: its records are not kept past it."""
    recent = _recent.get()
    if recent is not None:
        recent.clear()


def _keep(record: SourceRecord) -> None:
    recent = _recent.get()
    if recent is not None:
        recent[(record.source, record.kind, record.source_id)] = record


def _key(kind: str, source_id: object) -> int:
    return hash((kind, str(source_id)))


def _known_absent(source: str, kind: str, source_id: object) -> bool:
    state = _written.get()
    if state is None:
        return False
    written = state.get(source)
    if written is None:
        before = db.session.scalar(
            select(SourceRecord.id).where(SourceRecord.source == source).limit(1)
        )
        written = state[source] = set() if before is None else False
    return written is not False and _key(kind, source_id) not in written


def _note(source: str, kind: str, source_id: object) -> None:
    state = _written.get()
    if state is not None and isinstance(written := state.get(source), set):
        written.add(_key(kind, source_id))


def lookup(source: str, kind: str, source_id: object) -> SourceRecord | None:
    if _known_absent(source, kind, source_id):
        return None
    recent = _recent.get()
    if recent is not None:
        kept = recent.get((source, kind, str(source_id)))
        if kept is not None and inspect(kept).persistent:
            return kept
    # Without an autoflush: every write of an import's step ends in `remember`'s flush,
    # so what earlier steps wrote is visible, and a lookup costs one SELECT.
    with db.session.no_autoflush:
        found = db.session.scalar(
            select(SourceRecord).where(
                SourceRecord.source == source,
                SourceRecord.kind == kind,
                SourceRecord.source_id == str(source_id),
            )
        )
    if found is not None:
        _keep(found)
    return found


def find_any(kind: str, source_id: object) -> SourceRecord | None:
    """A record of this kind and id from any source (old URLs: any import's)."""
    return db.session.scalar(
        select(SourceRecord)
        .where(SourceRecord.kind == kind, SourceRecord.source_id == str(source_id))
        .order_by(SourceRecord.id.desc())
        .limit(1)
    )


def remember(
    source: str,
    kind: str,
    source_id: object,
    target_id: int,
    print_: str,
    *,
    record: SourceRecord | None = None,
    known_new: bool = False,
) -> None:
    """Store (or, given its `record`, change) what one source record became here.
    `known_new`: the caller looked it up and found none, so no lookup is repeated."""
    if record is None and not known_new:
        record = lookup(source, kind, source_id)
    if record is None:
        _note(source, kind, source_id)
        record = SourceRecord(
            source=source,
            kind=kind,
            source_id=str(source_id),
            target_id=target_id,
            fingerprint=print_,
            imported_at=utcnow(),
        )
        db.session.add(record)
    else:
        record.target_id, record.fingerprint, record.imported_at = target_id, print_, utcnow()
    db.session.flush()
    _keep(record)
