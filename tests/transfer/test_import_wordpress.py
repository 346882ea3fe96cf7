"""`marginalia import wordpress` with WordPress's own Theme Unit Test export, as it is:
the counts of the file land in the database, a second run changes nothing, and the
public API shows the site as WordPress would (approved comments only, threaded,
pingbacks in place)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from api.comments.models import Comment
from api.content.models import Post
from api.infra.database import db
from api.transfer.models import SourceRecord
from api.transfer.wordpress import WxrPost, map_comment_status, map_comment_type, read_wordpress
from tests.transfer.helpers import import_file, row_counts
from tests.transfer.test_transfer_wordpress_fixture import README_COUNTS, counts_by_regex


@pytest.fixture
def expected(wxr_bytes) -> dict:
    return counts_by_regex(wxr_bytes.decode("utf-8"))


@pytest.fixture
def imported(app, wxr_path) -> dict:
    return import_file(app, "wordpress", wxr_path)


def test_the_report_counts_what_the_file_holds(imported):
    kinds = imported["kinds"]
    assert kinds["author"]["created"] == README_COUNTS["authors"]
    assert kinds["category"]["created"] == README_COUNTS["categories"]
    # One tag has the slug of a category (post-formats): both name the same tag here.
    assert kinds["tag"]["created"] + kinds["tag"]["unchanged"] == README_COUNTS["tags"]
    assert kinds["post"]["created"] == README_COUNTS["posts"]
    assert kinds["page"]["created"] == README_COUNTS["pages"]
    assert kinds["attachment"]["skipped"] == README_COUNTS["attachments"]
    assert kinds["other item"]["skipped"] == README_COUNTS["menu items"]
    assert kinds["comment"]["created"] == (
        README_COUNTS["comments"] - README_COUNTS["trackbacks"] - README_COUNTS["pingbacks"]
    )
    assert kinds["pingback"]["created"] == README_COUNTS["trackbacks"] + README_COUNTS["pingbacks"]
    assert imported["totals"]["refused"] == 0
    assert imported["error"] is None


def test_comments_keep_their_status_type_and_threads(app, imported, expected):
    wanted = Counter()
    for (approved, wp_type), n in expected["comments"].items():
        wanted[map_comment_status(approved).value, map_comment_type(wp_type).value] += n
    with app.app_context():
        got = Counter(tuple(r) for r in db.session.execute(select(Comment.status, Comment.type)))
        ours = {
            int(r.source_id): r.target_id
            for r in db.session.scalars(select(SourceRecord).where(SourceRecord.kind == "comment"))
        }
        replies = {
            tuple(row)
            for row in db.session.execute(
                select(Comment.id, Comment.parent_id).where(Comment.parent_id.is_not(None))
            )
        }
        db.session.remove()
    assert got == wanted
    assert replies == {(ours[child], ours[parent]) for child, parent in expected["reply links"]}
    assert len(replies) == README_COUNTS["replies"]


def test_a_second_run_changes_nothing(app, wxr_path, imported):
    before = row_counts(app)
    again = import_file(app, "wordpress", wxr_path)
    assert again["totals"]["created"] == again["totals"]["updated"] == 0
    assert (
        again["totals"]["unchanged"]
        == imported["totals"]["created"] + imported["totals"]["unchanged"]
    )
    after = row_counts(app)
    # Only the second run's import.completed event is new.
    assert after == {**before, "events": before["events"] + 1}


def test_a_dry_run_reports_and_writes_nothing(app, wxr_path):
    before = row_counts(app)
    dry = import_file(app, "wordpress", wxr_path, "--dry-run")
    assert dry["dry_run"] is True
    assert dry["kinds"]["post"]["created"] == README_COUNTS["posts"]
    assert row_counts(app) == before


def _approved_on(wxr_path, slug: str) -> int:
    post = next(r for r in read_wordpress(wxr_path) if isinstance(r, WxrPost) and r.slug == slug)
    return sum(c.approved == "1" for c in post.comments)


def test_the_public_api_shows_what_wordpress_shows(client, wxr_path, imported):
    listed = client.get("/v1/posts?count=true&limit=100").get_json()
    # One of the published posts is password-protected: imported as a draft.
    assert listed["total"] == README_COUNTS["posts published"] - 1
    assert "scheduled" not in {p["slug"] for p in listed["items"]}
    # A password-protected post is not made public.
    assert client.get("/v1/posts/template-password-protected").status_code == 404

    thread = client.get("/v1/posts/template-comments/comments?limit=100").get_json()["items"]
    # The file's approved comments on that post, not its pending ones.
    assert len(thread) == _approved_on(wxr_path, "template-comments") == 19
    ids = {c["id"] for c in thread}
    assert all(c["parent_id"] in ids for c in thread if c["parent_id"] is not None)
    assert any(c["parent_id"] is not None for c in thread)

    linked = client.get("/v1/posts/template-pingbacks-an-trackbacks/comments").get_json()
    assert Counter(c["type"] for c in linked["items"]) == {"pingback": 4, "comment": 1}

    post = client.get("/v1/posts/theme-block-category").get_json()
    assert post["author"]["slug"] == "themereviewteam"
    assert post["feature_image"].startswith("https://")
    assert "wp:paragraph" not in post["body_html"]
    assert post["published_at"].startswith("2023-01-13T18:38:05")
    assert {"block", "6-1"} <= {t["slug"] for t in post["tags"]}

    sticky = client.get("/v1/posts/template-sticky").get_json()
    assert sticky["featured"] is True


def test_old_urls_redirect_to_the_imported_post(client, imported):
    # The guid https://wpthemetestdata.wordpress.com/?p=358 of "Post Format: Standard".
    moved = client.get("/v1/posts/p-358")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/v1/posts/post-format-standard")


def test_one_event_tells_of_the_import(app, client, admin, imported):
    feed = client.get("/v1/events?after=0&limit=100", headers=admin).get_json()["items"]
    assert [e["type"] for e in feed] == ["import.completed"]
    data = feed[0]["data"]
    assert data["format"] == "wordpress"
    assert data["kinds"]["post"]["created"] == README_COUNTS["posts"]


def test_emit_events_records_every_item(app, client, admin, wxr_path):
    import_file(app, "wordpress", wxr_path, "--emit-events")
    wanted = "/v1/events?after=0&limit=100&types=author.created,post.published,import.completed"
    feed = client.get(wanted, headers=admin).get_json()
    types = Counter(e["type"] for e in feed["items"])
    assert types == {
        "author.created": 2,
        "post.published": README_COUNTS["posts published"] - 1,
        "import.completed": 1,
    }


def test_posts_are_written_by_the_importer_as_published_wordpress_posts(app, imported):
    with app.app_context():
        statuses = Counter(tuple(r) for r in db.session.execute(select(Post.type, Post.status)))
        db.session.remove()
    assert statuses["post", "scheduled"] == README_COUNTS["posts future"]
    assert statuses["post", "published"] == README_COUNTS["posts published"] - 1
    assert statuses["post", "draft"] == README_COUNTS["posts draft"] + 1


@pytest.mark.parametrize("namespace", [b"http://wordpress.org/export/1.1/"])
def test_an_older_wxr_namespace_imports_the_same(app, tmp_path, wxr_bytes, namespace):
    path = tmp_path / "wxr-1.1.xml"
    path.write_bytes(wxr_bytes.replace(b"https://wordpress.org/export/1.2/", namespace))
    report = import_file(app, "wordpress", path)
    assert report["kinds"]["post"]["created"] == README_COUNTS["posts"]
    assert report["kinds"]["comment"]["created"] == 29


def test_imported_posts_start_their_history_with_a_revision_by_the_importer(
    client, admin, imported
):
    revisions = client.get("/v1/posts/post-format-standard/revisions", headers=admin)
    assert revisions.status_code == 200
    items = revisions.get_json()["items"]
    assert len(items) == 1
    assert items[0]["author"] == {"name": "system: importer", "role": "system"}


def test_a_page_cached_before_an_import_shows_the_imported_posts_after_it(app, client, wxr_path):
    assert client.get("/v1/posts?limit=1").get_json()["items"] == []
    import_file(app, "wordpress", wxr_path)
    assert client.get("/v1/posts?limit=1").get_json()["items"] != []
