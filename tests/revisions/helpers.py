"""Moving a post's scheduled times into the past, as waiting would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api.infra.database import db


def _past():
    past = datetime.now(UTC) - timedelta(seconds=5)
    return past.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else past


def make_due(app, slug: str, column: str = "published_at") -> None:
    """The post's `published_at` (or `unpublish_at`) is now a few seconds ago."""
    assert column in ("published_at", "unpublish_at")
    with app.app_context():
        db.session.execute(
            text(f"UPDATE posts SET {column} = :t WHERE slug = :s"),  # noqa: S608
            {"t": _past(), "s": slug},
        )
        db.session.commit()
        db.session.remove()


def make_draft_due(app, slug: str) -> None:
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE post_drafts SET publish_at = :t "
                "WHERE post_id = (SELECT id FROM posts WHERE slug = :s)"
            ),
            {"t": _past(), "s": slug},
        )
        db.session.commit()
        db.session.remove()
