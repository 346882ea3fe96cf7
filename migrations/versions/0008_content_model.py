"""content model: Ghost's post fields, pages in the posts table, listing indexes, media

Revision ID: 0008_content_model
Revises: 0007_intake_indexes
Create Date: 2026-11-27 09:00:00

Posts gain Ghost's content fields, a `type` (post | page) and a computed
`reading_time`, filled in here for the posts already stored. The listing indexes are
led by type and status (one per sort order). The `previous_slugs` table stays as it is:
it now belongs to the content area, which writes it when a slug changes.

Columns are added with plain ALTER TABLE (no batch copy) so SQLite keeps the posts
table, and with it the full-text triggers of 0001.
"""

import math
import re
from html import unescape

import sqlalchemy as sa
from alembic import op

revision = "0008_content_model"
down_revision = "0007_intake_indexes"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("type", sa.String(10), "post"),
    ("feature_image", sa.String(2000), None),
    ("feature_image_alt", sa.String(191), None),
    ("feature_image_caption", sa.Text(), None),
    ("featured", sa.Boolean(), sa.false()),
    ("meta_title", sa.String(300), None),
    ("meta_description", sa.String(500), None),
    ("og_image", sa.String(2000), None),
    ("og_title", sa.String(300), None),
    ("og_description", sa.String(500), None),
    ("twitter_image", sa.String(2000), None),
    ("twitter_title", sa.String(300), None),
    ("twitter_description", sa.String(500), None),
    ("canonical_url", sa.String(2000), None),
    ("reading_time", sa.Integer(), "0"),
    ("visibility", sa.String(20), "public"),
)
_OLD_INDEXES = {
    "ix_posts_status_published_at_id": ["status", "published_at", "id"],
    "ix_posts_created_at_id": ["created_at", "id"],
}
_NEW_INDEXES = {
    "ix_posts_type_status_published_at_id": ["type", "status", "published_at", "id"],
    "ix_posts_type_status_updated_at_id": ["type", "status", "updated_at", "id"],
    "ix_posts_type_status_title_id": ["type", "status", "title", "id"],
    "ix_posts_type_status_featured_published_at_id": [
        "type", "status", "featured", "published_at", "id"
    ],
    "ix_posts_type_created_at_id": ["type", "created_at", "id"],
}


def upgrade():
    for name, type_, default in _COLUMNS:
        op.add_column(
            "posts",
            sa.Column(name, type_, nullable=default is None, server_default=default),
        )
    for name in _OLD_INDEXES:
        op.drop_index(name, table_name="posts")
    for name, columns in _NEW_INDEXES.items():
        op.create_index(name, "posts", columns)
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("widths", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("key", name=op.f("uq_media_key")),
    )
    _fill_reading_times()


def downgrade():
    op.drop_table("media")
    for name in _NEW_INDEXES:
        op.drop_index(name, table_name="posts")
    # Pages would become posts: they go (with their comments, by the foreign keys).
    op.execute("DELETE FROM posts WHERE type = 'page'")
    for name, columns in _OLD_INDEXES.items():
        op.create_index(name, "posts", columns)
    with op.batch_alter_table("posts", recreate="never") as batch_op:
        for name, _, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)


# --- reading times of the posts already stored (the app computes them when saving) ---
# A frozen copy of the rule, so this revision means the same whatever the code becomes.

_TAG = re.compile(r"<[^>]*>")
_IMG = re.compile(r"<img\b", re.IGNORECASE)


def _reading_time(body_html: str) -> int:
    words = len(unescape(_TAG.sub(" ", body_html)).split())
    seconds = words / (275 / 60)
    for extra in range(12, 12 - len(_IMG.findall(body_html)), -1):
        seconds += max(extra, 3)
    return math.floor(seconds / 60 + 0.5)


def _fill_reading_times():
    bind = op.get_bind()
    posts = sa.table(
        "posts", sa.column("id", sa.Integer), sa.column("body_html", sa.Text),
        sa.column("reading_time", sa.Integer),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(posts.c.id, posts.c.body_html)
            .where(posts.c.id > last)
            .order_by(posts.c.id)
            .limit(500)
        ).all()
        if not rows:
            return
        for row in rows:
            minutes = _reading_time(row.body_html or "")
            if minutes:
                bind.execute(
                    posts.update().where(posts.c.id == row.id).values(reading_time=minutes)
                )
        last = rows[-1].id
