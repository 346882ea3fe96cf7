"""revisions, pending drafts over published posts, preview links, scheduled unpublish

Revision ID: 0011_revisions
Revises: 0010_content_keys
Create Date: 2026-11-30 04:00:00

Posts gain `unpublish_at` (plain ALTER TABLE, so SQLite keeps the posts table and its
full-text triggers). Posts stored before this revision get their first revision when
they are next written (api/content/revisions.py records the version before the change).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_revisions"
down_revision = "0010_content_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("posts", sa.Column("unpublish_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_posts_unpublish_at"), "posts", ["unpublish_at"])
    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_revisions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_revisions")),
        sa.UniqueConstraint("post_id", "number", name=op.f("uq_post_revisions_post_id")),
    )
    op.create_table(
        "post_drafts",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by_name", sa.String(length=200), nullable=False),
        sa.Column("saved_by_role", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_drafts_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_drafts")),
    )
    op.create_index(op.f("ix_post_drafts_publish_at"), "post_drafts", ["publish_at"])
    op.create_table(
        "preview_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_preview_links_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preview_links")),
        sa.UniqueConstraint("nonce", name=op.f("uq_preview_links_nonce")),
    )
    op.create_index(op.f("ix_preview_links_post_id"), "preview_links", ["post_id"])


def downgrade():
    op.drop_index(op.f("ix_preview_links_post_id"), table_name="preview_links")
    op.drop_table("preview_links")
    op.drop_index(op.f("ix_post_drafts_publish_at"), table_name="post_drafts")
    op.drop_table("post_drafts")
    op.drop_table("post_revisions")
    op.drop_index(op.f("ix_posts_unpublish_at"), table_name="posts")
    with op.batch_alter_table("posts", recreate="never") as batch_op:
        batch_op.drop_column("unpublish_at")
