"""discussion: block rules (spam defence)

Revision ID: 0011_discussion
Revises: 0008_content_model
Create Date: 2026-11-30 04:00:00

The rules admins and moderators block authors with (api/comments/blocks.py): one row
per (kind, normalised value).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_discussion"
down_revision = "0008_content_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "block_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=1100), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "value", name="uq_block_rules_kind_value"),
    )


def downgrade() -> None:
    op.drop_table("block_rules")
