"""0008_content_model keeps what was stored: posts become posts of type "post" with a
reading time, and the old slugs the linkbacks area recorded now redirect."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from api import create_app
from api.infra.database import db
from config import load_settings


def test_stored_posts_and_old_slugs_survive_the_upgrade(tmp_path):
    settings = load_settings(
        environ={},
        database_url=f"sqlite:///{tmp_path}/before.db",
        secret_key="test-secret",
        instance_path=str(tmp_path),
        log_level="WARNING",
        demo_on_empty="false",
    )
    app = create_app(settings, TESTING=True, QUEUE_IMMEDIATE=True)
    directory = app.extensions["migrate"].directory
    body_html = "<p>" + " ".join(["word"] * 550) + '</p><img src="https://x.example/a.png">'
    with app.app_context():
        upgrade(directory=directory, revision="0007_intake_indexes")
        statements = [
            "INSERT INTO authors (id, slug, name, bio, created_at, updated_at, version) "
            "VALUES (1, 'ada', 'Ada', '', '2024-01-01', '2024-01-01', 1)",
            "INSERT INTO posts (id, slug, title, body, body_html, excerpt, auto_excerpt, status,"
            " published_at, created_at, updated_at, author_id, comments_open, comment_count,"
            " version) VALUES (1, 'new-name', 'T', 'b', :html, '', '', 'published',"
            " '2024-01-01', '2024-01-01', '2024-01-01', 1, 1, 0, 1)",
            "INSERT INTO previous_slugs (slug, post_id, replaced_at) "
            "VALUES ('old-name', 1, '2024-01-02')",
        ]
        for statement in statements:
            db.session.execute(text(statement), {"html": body_html})
        db.session.commit()
        upgrade(directory=directory)
        row = db.session.execute(text("SELECT type, reading_time, featured FROM posts")).one()
        db.session.remove()
    assert tuple(row) == ("post", 2, False)  # 550 words and one image: 2 min 12 s
    client = app.test_client()
    moved = client.get("/v1/posts/old-name")
    assert moved.status_code == 301 and moved.headers["Location"] == "/v1/posts/new-name"
    assert client.get("/v1/posts/new-name").get_json()["reading_time"] == 2
    with app.app_context():
        db.engine.dispose()
