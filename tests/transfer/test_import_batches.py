"""An import's work per batch (issue 17): comment counts are stored once per post and
batch, and the ledger's per-run shortcuts give the same result as asking the database,
whatever the batch size: the counts readers see are the file's approved comments."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.comments.models import Comment
from api.content.models import Post
from api.infra.database import db
from api.transfer import importing
from tests.transfer.helpers import import_file


@pytest.fixture(params=[3, 200])
def batch(request, monkeypatch) -> int:
    monkeypatch.setattr(importing, "BATCH", request.param)
    return request.param


def _counts(app) -> tuple[dict[int, int], dict[int, int]]:
    with app.app_context():
        stored = dict(db.session.execute(select(Post.id, Post.comment_count)).all())
        approved = dict(
            db.session.execute(
                select(Comment.post_id, func.count())
                .where(Comment.status == "approved")
                .group_by(Comment.post_id)
            ).all()
        )
    return stored, {post_id: approved.get(post_id, 0) for post_id in stored}


def test_every_post_counts_its_approved_comments_across_batches(app, client, wxr_path, batch):
    report = import_file(app, "wordpress", wxr_path)
    assert report["totals"]["refused"] == 0
    stored, approved = _counts(app)
    assert stored == approved
    assert sum(stored.values()) > 0
    post = client.get("/v1/posts/template-comments").get_json()
    assert post["comment_count"] == 19

    again = import_file(app, "wordpress", wxr_path)
    assert again["totals"]["created"] == 0
    assert _counts(app) == (stored, approved)
