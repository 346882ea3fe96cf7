"""Block rules as a service: admins and moderators keep them (/v1/moderation/blocks), the
intake asks them about every comment.

The matching itself is api/comments/blocklist.py (pure). Here: storing rules (validated
and normalised by that module), "block this author" from a comment in one call, and the
process's matcher, rebuilt only when the rules changed (one probe of the table per
comment: its row count, highest id and latest change).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from api.comments import blocklist
from api.comments.blocklist import BlockHit, Blocklist, BlockRule, CommentCandidate
from api.comments.models import MAX_ID, BlockRuleRow, Comment
from api.errors import Conflict, InvalidInput, NotFound
from api.infra import unit_of_work
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.timestamps import utcnow

# What "block this author" can block of a comment, and the rule kind each becomes.
AUTHOR_FIELDS = {
    "email": "email",
    "email_domain": "email_domain",
    "ip": "ip",
    "identity": "identity",
}

Precondition = Callable[[BlockRuleRow], None] | None


class BlockExists(Conflict):
    slug, title = "block-exists", "Block rule exists"


@dataclass(frozen=True)
class BlockInput:
    kind: str
    value: str
    action: str
    expires_at: datetime | None = None
    note: str = ""


# --- keeping rules ----------------------------------------------------------------------


def list_blocks(
    *, kind: str | None, limit: int, cursor: str | None, codec: CursorCodec, count: bool = False
) -> Page:
    query = select(BlockRuleRow)
    if kind is not None:
        query = query.where(BlockRuleRow.kind == kind)
    return paginate(
        db.session,
        query,
        [SortKey(BlockRuleRow.id, False)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda row: [row.id],
    )


def get_block(block_id: int, *, lock: bool = False) -> BlockRuleRow:
    query = select(BlockRuleRow).where(BlockRuleRow.id == block_id)
    if lock:
        query = query.with_for_update()
    row = db.session.scalar(query) if block_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"No block rule {block_id}.")
    return row


def create_block(actor_name: str, data: BlockInput, *, comment_id: int | None = None):
    now = utcnow()
    value = _validated(data, now)
    taken = db.session.scalar(
        select(BlockRuleRow.id).where(BlockRuleRow.kind == data.kind, BlockRuleRow.value == value)
    )
    if taken is not None:
        raise BlockExists(
            f"Block rule {taken} already has this {data.kind} value; change that one.",
            errors={"value": [f"Taken by block rule {taken}."]},
        )
    row = BlockRuleRow(
        kind=data.kind,
        value=value,
        action=data.action,
        expires_at=data.expires_at,
        note=data.note or "",
        created_by=actor_name[:100],
        comment_id=comment_id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    unit_of_work.flush(conflict="A block rule with this kind and value exists.")
    return row


def update_block(block_id: int, changes: dict, precondition: Precondition) -> BlockRuleRow:
    row = get_block(block_id, lock=True)
    if precondition:
        precondition(row)
    merged = BlockInput(
        kind=changes.get("kind", row.kind),
        value=changes.get("value", row.value),
        action=changes.get("action", row.action),
        expires_at=changes.get("expires_at", row.expires_at),
        note=changes.get("note", row.note),
    )
    now = utcnow()
    row.kind, row.value = merged.kind, _validated(merged, now, check_expiry="expires_at" in changes)
    row.action, row.expires_at, row.note = merged.action, merged.expires_at, merged.note or ""
    row.updated_at = now
    unit_of_work.flush(
        conflict="Another block rule has this kind and value.",
        stale="The block rule changed meanwhile; fetch it again.",
    )
    return row


def delete_block(block_id: int, precondition: Precondition) -> None:
    row = get_block(block_id, lock=True)
    if precondition:
        precondition(row)
    db.session.execute(delete(BlockRuleRow).where(BlockRuleRow.id == row.id))


def block_author(
    actor_name: str,
    comment_id: int,
    fields: tuple[str, ...] | None,
    action: str,
    *,
    expires_at: datetime | None = None,
    note: str = "",
) -> list[BlockRuleRow]:
    """One rule per asked-for field of the comment's author (email, its domain, IP,
    OIDC identity); a field the comment lacks is a 422, one already blocked is kept as
    it is (its rule is returned)."""
    comment = db.session.get(Comment, comment_id) if comment_id <= MAX_ID else None
    if comment is None or comment.type != "comment":
        raise NotFound("No such comment.")
    values = {
        "email": comment.author_email,
        "email_domain": (comment.author_email or "").rpartition("@")[2] or None,
        "ip": comment.ip_address,
        "identity": (
            blocklist.identity_value(comment.identity_issuer, comment.identity_subject)
            if comment.identity_issuer and comment.identity_subject
            else None
        ),
    }
    if fields is None:
        fields = tuple(name for name in ("email", "ip", "identity") if values[name])
        if not fields:
            raise InvalidInput(errors={"fields": ["The comment has no email, IP or identity."]})
    missing = [name for name in fields if not values[name]]
    if missing:
        raise InvalidInput(
            errors={"fields": [f"The comment has no {', '.join(missing)} to block."]}
        )
    rules = []
    for name in dict.fromkeys(fields):
        kind = AUTHOR_FIELDS[name]
        wanted = BlockInput(kind, values[name], action, expires_at, note)
        value = _validated(wanted, utcnow())
        existing = db.session.scalar(
            select(BlockRuleRow).where(BlockRuleRow.kind == kind, BlockRuleRow.value == value)
        )
        rules.append(existing or create_block(actor_name, wanted, comment_id=comment_id))
    return rules


def _validated(data: BlockInput, now: datetime, *, check_expiry: bool = True) -> str:
    try:
        return blocklist.validate_rule(
            data.kind,
            data.value,
            data.action,
            expires_at=data.expires_at,
            note=data.note or "",
            now=now if check_expiry else None,
        )
    except blocklist.BlockRuleError as exc:
        raise InvalidInput(errors=exc.errors) from None


# --- asking them ------------------------------------------------------------------------

# What tells a changed rule set apart: read alone, or with the intake's other reads
# (`FINGERPRINT` as columns of its statement: one round trip for all of them).
FINGERPRINT = (
    select(func.count(BlockRuleRow.id)).scalar_subquery(),
    select(func.max(BlockRuleRow.id)).scalar_subquery(),
    select(func.max(BlockRuleRow.updated_at)).scalar_subquery(),
)
_PROBE = select(*FINGERPRINT)
_ALL = select(
    BlockRuleRow.id,
    BlockRuleRow.kind,
    BlockRuleRow.value,
    BlockRuleRow.action,
    BlockRuleRow.expires_at,
    BlockRuleRow.note,
)
_lock = threading.Lock()
_cached: dict[str, tuple[object, Blocklist]] = {}


def current_blocklist() -> Blocklist:
    """The rules as stored now (the matcher is rebuilt only when they changed)."""
    return blocklist_with(tuple(db.session.execute(_PROBE).one()))


def blocklist_with(fingerprint: tuple) -> Blocklist:
    """The rules whose `FINGERPRINT` was just read: the matcher built for it, or a new one."""
    fingerprint = tuple(fingerprint)
    # Keyed by database too: test suites (and the CLI) may point at more than one.
    key = str(db.engine.url)
    known = _cached.get(key)
    if known is not None and known[0] == fingerprint:
        return known[1]
    if fingerprint[0] == 0:
        built = Blocklist(())
    else:
        built = Blocklist(
            BlockRule(r.id, r.kind, r.value, r.action, r.expires_at, r.note or "")
            for r in db.session.execute(_ALL)
        )
    with _lock:
        _cached[key] = (fingerprint, built)
    return built


def check(
    candidate: CommentCandidate, now: datetime, rules: Blocklist | None = None
) -> BlockHit | None:
    """The strongest active rule that matches the comment, or None (`rules`: the
    caller read them already)."""
    return (rules if rules is not None else current_blocklist()).match(candidate, now)
