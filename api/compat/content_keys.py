"""Content API keys: created and revoked by admins, checked on every Ghost read.

Ghost's Content API keys are 26 hex characters (`@tryghost/content-api` refuses any
other), public by design (they sit in a frontend's JavaScript) and read-only: they only
say which integration is reading. Ours are the same, stored hashed like staff tokens.
Revoking one records `content_key.revoked` with the key `*`: the response caches of
every instance drop everything (revocations are rare), so no answer made with the key
is served by us after it. A CDN keeps what it stored until its own lifetime ends
(`cdn_s_maxage`): purge it by hand if a revoked key must stop at once there too.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, select

from api.auth.policy import Actor, Permission, ensure
from api.cache import keys as cache_keys
from api.compat.models import ContentKey
from api.errors import NotFound
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra.database import db
from api.infra.timestamps import utcnow

MAX_ID = 2**31 - 1


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_key(actor: Actor | None, name: str) -> tuple[ContentKey, str]:
    """A new key; its value is returned once and never stored."""
    ensure(actor, Permission.MANAGE_TOKENS)
    plain = secrets.token_hex(13)  # 26 hex characters, like Ghost's
    key = ContentKey(name=name, key_hash=hash_key(plain), hint=plain[-4:])
    db.session.add(key)
    db.session.flush()
    return key, plain


def list_keys(actor: Actor | None) -> list[ContentKey]:
    ensure(actor, Permission.MANAGE_TOKENS)
    return list(db.session.scalars(select(ContentKey).order_by(ContentKey.id)))


def revoke_key(actor: Actor | None, key_id: int) -> None:
    ensure(actor, Permission.MANAGE_TOKENS)
    key = db.session.get(ContentKey, key_id) if 0 < key_id <= MAX_ID else None
    if key is None:
        raise NotFound("No such content key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record_event(
            events.CONTENT_KEY_REVOKED,
            {"content_key": {"id": key.id, "name": key.name}},
            keys=(cache_keys.EVERYTHING,),
        )


_BY_HASH = select(ContentKey.id).where(
    ContentKey.key_hash == bindparam("key_hash"), ContentKey.revoked_at.is_(None)
)


def is_valid(plain: str) -> bool:
    """Whether `plain` is a key an admin created and has not revoked."""
    return db.session.execute(_BY_HASH, {"key_hash": hash_key(plain)}).first() is not None
