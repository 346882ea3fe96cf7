"""discussion: block rules, Akismet reports, reply subscriptions and mail deliveries

Revision ID: 0013_discussion
Revises: 0012_transfer
Create Date: 2026-11-30 04:00:00

The rules admins and moderators block authors with (api/comments/blocks.py): one row
per (kind, normalised value).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_discussion"
down_revision = "0012_transfer"
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
    op.create_table(
        "akismet_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_akismet_reports_status_next_attempt_at",
        "akismet_reports",
        ["status", "next_attempt_at"],
    )


    op.create_table(
        "reply_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_reply_subscriptions_comment_id_status",
        "reply_subscriptions",
        ["comment_id", "status"],
    )
    op.create_index("ix_reply_subscriptions_email", "reply_subscriptions", ["email"])
    op.create_index(
        "ix_reply_subscriptions_post_id_status", "reply_subscriptions", ["post_id", "status"]
    )
    op.create_table(
        "reply_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "comment_id", name="uq_reply_notices_sub_comment"),
    )
    op.create_index(
        "ix_reply_notices_delivery_id_email", "reply_notices", ["delivery_id", "email"]
    )
    op.create_table(
        "mail_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("unsubscribe_url", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_mail_deliveries_status_next_attempt_at",
        "mail_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_mail_deliveries_to_address_kind_created_at",
        "mail_deliveries",
        ["to_address", "kind", "created_at"],
    )


    # Webmention entries: the mention's type and its author's photo (plain ALTER TABLE so
    # SQLite keeps the table as it is).
    op.add_column("comments", sa.Column("mention_type", sa.String(length=20), nullable=True))
    op.add_column("comments", sa.Column("author_photo", sa.String(length=2048), nullable=True))
    # Staff tokens' email: the moderators' digest of pending comments.
    op.add_column("api_tokens", sa.Column("email", sa.String(length=320), nullable=True))
    # Each reply's top comment, for the thread read newest first; filled level by level.
    op.add_column("comments", sa.Column("thread_id", sa.Integer(), nullable=True))
    op.execute("UPDATE comments SET thread_id = parent_id WHERE depth = 2")
    for depth in range(3, 11):
        op.execute(
            "UPDATE comments SET thread_id = (SELECT p.thread_id FROM comments p "
            f"WHERE p.id = comments.parent_id) WHERE depth = {depth}"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("email")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("thread_id")
        batch.drop_column("author_photo")
        batch.drop_column("mention_type")
    op.drop_table("mail_deliveries")
    op.drop_table("reply_notices")
    op.drop_table("reply_subscriptions")
    op.drop_index("ix_akismet_reports_status_next_attempt_at", table_name="akismet_reports")
    op.drop_table("akismet_reports")
    op.drop_table("block_rules")
