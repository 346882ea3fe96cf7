"""Flushing a service's changes with the database's refusals turned into domain errors."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from api.errors import Conflict, PreconditionFailed
from api.infra.database import db


def flush_or_refuse(*, conflict: str, stale: str) -> None:
    """Flush; a constraint the change breaks is a 409 (`conflict`), a row another request
    changed meanwhile (its version moved) a 412 (`stale`). Either way nothing is kept."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(conflict) from None
    except StaleDataError:
        db.session.rollback()
        raise PreconditionFailed(stale) from None
