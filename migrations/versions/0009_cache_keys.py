"""cache keys: each event names the public representations it changes

Revision ID: 0009_cache_keys
Revises: 0008_content_model
Create Date: 2026-11-30 04:00:00

`events.cache_keys` holds the space-separated dependency keys (`post:7 posts ...`) of
the public reads the event changes, NULL for a change no anonymous reader can see. Each
instance's response cache reads the keys of new events to drop exactly those entries,
and the CDN purge consumer purges them (api/cache/keys.py, docs/cache.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_cache_keys"
down_revision = "0008_content_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("cache_keys", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("cache_keys")
