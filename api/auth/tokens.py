"""Issuing, listing, revoking and checking staff tokens (in the caller's unit of work)."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import bindparam, select

from api.auth.models import ApiToken
from api.auth.policy import Actor, Role
from api.errors import InvalidInput, NotFound, Unauthorized
from api.infra.database import db
from api.infra.timestamps import utcnow

TOKEN_PREFIX = "mgl_"  # noqa: S105  (a prefix, not a secret)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_staff_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def create_token(
    name: str, role: str, author_slug: str | None = None, email: str | None = None
) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    author_id = _author_id(author_slug) if author_slug else None
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(errors={"role": [f"Must be one of {', '.join(Role)}."]}) from None
    if role is Role.AUTHOR and author_id is None:
        raise InvalidInput(errors={"author": ["An author token needs the author it writes as."]})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role.value,
        token_hash=hash_token(plain),
        prefix=plain[:12],
        author_id=author_id if role is Role.AUTHOR else None,
        email=email.strip().lower() if email else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def _author_id(slug: str) -> int:
    """The id of the author an author token writes as. Authors are the content area's:
    the wiring table (api/wiring.py) lends its lookup, so auth, which every area builds
    on, imports none of them (404 for an unknown slug)."""
    return current_app.extensions["marginalia.author_ids"](slug)


def moderator_emails() -> list[str]:
    """The addresses of live moderator and admin tokens (the pending comments' digest)."""
    return list(
        db.session.scalars(
            select(ApiToken.email)
            .where(
                ApiToken.email.is_not(None),
                ApiToken.revoked_at.is_(None),
                ApiToken.role.in_((Role.ADMIN.value, Role.MODERATOR.value)),
            )
            .distinct()
        )
    )


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(token_id: int) -> None:
    # Ids beyond a 32-bit integer cannot exist (PostgreSQL would refuse the query).
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= 2**31 - 1 else None
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()


# Run on every staff request: the columns an Actor needs, from a statement built once.
_BY_HASH = select(
    ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.author_id, ApiToken.revoked_at
).where(ApiToken.token_hash == bindparam("token_hash"))


def authenticate(plain: str) -> Actor:
    """The actor a staff token stands for; 401 when it is unknown or revoked."""
    token = db.session.execute(_BY_HASH, {"token_hash": hash_token(plain)}).first()
    if token is None or token.revoked_at is not None:
        raise Unauthorized("The token is unknown or has been revoked.")
    return Actor(
        token_id=token.id, name=token.name, role=Role(token.role), author_id=token.author_id
    )
