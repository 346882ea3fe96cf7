"""cache keys: each event names the public representations it changes

Revision ID: 0009_cache_keys
Revises: 0008_content_model
Create Date: 2026-11-30 04:00:00

`events.cache_keys` holds the space-separated dependency keys (`post:7 posts ...`) of
the public reads the event changes, NULL for a change no anonymous reader can see. Each
instance's response cache reads the keys of new events to drop exactly those entries,
and the CDN purge consumer purges them (api/cache/keys.py, docs/cache.md). `cdn_purges`
is that consumer's log: one row per keyed event, retried until a purge succeeds.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_cache_keys"
down_revision = "0008_content_model"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("events", sa.Column("cache_keys", sa.Text(), nullable=True))
    op.create_table(
        "cdn_purges",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdn_purges")),
        sa.UniqueConstraint("event_id", name=op.f("uq_cdn_purges_event_id")),
    )
    op.create_index("ix_cdn_purges_status_next", "cdn_purges", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_cdn_purges_status_next", table_name="cdn_purges")
    op.drop_table("cdn_purges")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("cache_keys")
