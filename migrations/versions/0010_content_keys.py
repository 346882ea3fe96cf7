"""content keys: Ghost-style Content API keys, stored hashed

Revision ID: 0010_content_keys
Revises: 0009_cache_keys
Create Date: 2026-11-30 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_content_keys"
down_revision = "0009_cache_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("hint", sa.String(4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("key_hash", name="uq_content_keys_key_hash"),
    )


def downgrade():
    op.drop_table("content_keys")
