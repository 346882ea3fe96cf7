"""intake: one index for the commenter's history probes

Revision ID: 0007_intake_indexes
Revises: 0006_moderation
Create Date: 2026-11-26 14:05:00

"""

from alembic import op

revision = "0007_intake_indexes"
down_revision = "0006_moderation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comments") as batch_op:
        batch_op.create_index("ix_comments_author_key_status_post_id", ["author_key", "status", "post_id"])


def downgrade():
    with op.batch_alter_table("comments") as batch_op:
        batch_op.drop_index("ix_comments_author_key_status_post_id")
