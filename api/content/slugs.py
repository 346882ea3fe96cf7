"""Slugs: generated from titles (unicode kept), unique per table."""

from __future__ import annotations

from slugify import slugify
from sqlalchemy import select

from api.infra.database import db

MAX_SLUG = 200


def slug_from(text: str, fallback: str) -> str:
    return slugify(text, allow_unicode=True, max_length=MAX_SLUG) or fallback


def unique_slug(model, text: str, fallback: str) -> str:
    """`text` slugified, with -2, -3 ... appended while another row holds it."""
    base = slug_from(text, fallback)
    taken = set(
        db.session.scalars(
            select(model.slug).where(model.slug.like(f"{_escape_like(base)}%", escape="\\"))
        )
    )
    if base not in taken:
        return base
    n = 2
    while (candidate := f"{base[: MAX_SLUG - len(str(n)) - 1]}-{n}") in taken:
        n += 1
    return candidate


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
