"""transfer: the source ids of imported records

Revision ID: 0012_transfer
Revises: 0011_revisions
Create Date: 2026-11-30 04:00:00

One row per record an import wrote (or matched): which export it came from, its kind
and id there, what it is here, and a fingerprint of what was imported, so a second run
of the same file changes nothing and a changed record is updated in place. `kind` also
keeps what WordPress called a term (category or tag) once both became tags here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_transfer"
down_revision = "0011_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(300), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "kind", "source_id", name="uq_transfer_sources_key"),
    )


def downgrade() -> None:
    op.drop_table("transfer_sources")
