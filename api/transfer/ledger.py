"""The source ids an import remembers (transfer_sources), in the caller's unit of work."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from api.infra.database import db
from api.infra.timestamps import utcnow
from api.transfer.models import SourceRecord


def fingerprint(data: object) -> str:
    """A hash of what an import wrote for a record: equal when nothing changed."""
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def lookup(source: str, kind: str, source_id: object) -> SourceRecord | None:
    # Without an autoflush: every write of an import's step ends in `remember`'s flush,
    # so what earlier steps wrote is visible, and a lookup costs one SELECT.
    with db.session.no_autoflush:
        return db.session.scalar(
            select(SourceRecord).where(
                SourceRecord.source == source,
                SourceRecord.kind == kind,
                SourceRecord.source_id == str(source_id),
            )
        )


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
        db.session.add(
            SourceRecord(
                source=source,
                kind=kind,
                source_id=str(source_id),
                target_id=target_id,
                fingerprint=print_,
                imported_at=utcnow(),
            )
        )
    else:
        record.target_id, record.fingerprint, record.imported_at = target_id, print_, utcnow()
    db.session.flush()
