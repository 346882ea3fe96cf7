"""What Alembic needs to know beyond the models: shared by env.py and the drift test."""

from __future__ import annotations

from api.infra.timestamps import UTCDateTime

# Full-text search structures live only in migrations: an FTS5 table with triggers on
# SQLite, an expression GIN index on PostgreSQL. The models cannot express them.
FTS_NAMES = ("posts_fts", "ix_posts_search")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (name and name.startswith(FTS_NAMES))


def render_item(type_, obj, autogen_context):
    """Write UTC columns as plain timezone-aware DateTime, so revisions import nothing."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


MIGRATE_OPTIONS = {
    "include_object": include_object,
    "render_item": render_item,
    "compare_type": True,
}
