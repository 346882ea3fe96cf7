"""`marginalia import ghost` and `marginalia import disqus` with the readers' own
example files: what lands, read back through the API, and a second run unchanged."""

from __future__ import annotations

import json

from tests.transfer.helpers import import_file, row_counts, run_cli
from tests.transfer.test_transfer_disqus import EXPORT as DISQUS
from tests.transfer.test_transfer_ghost import GHOST_5


def test_a_ghost_export_becomes_authors_tags_posts_and_pages(app, client, admin, tmp_path):
    path = tmp_path / "ghost.json"
    path.write_text(json.dumps(GHOST_5))
    report = import_file(app, "ghost", path, "--site-url", "https://ghost.example")
    assert report["kinds"]["post"]["created"] == 1
    assert report["kinds"]["page"]["created"] == 1
    assert report["kinds"]["tag"] == {**report["kinds"]["tag"], "created": 1, "skipped": 1}

    post = client.get("/v1/posts/hello-from-ghost").get_json()
    assert post["author"]["slug"] == "jo"  # the first of posts_authors
    assert [t["slug"] for t in post["tags"]] == ["news-weather"]  # not the #internal one
    assert post["featured"] is True
    assert post["custom_excerpt"] == "A first post"
    assert post["feature_image"] == "https://ghost.example/content/images/2024/05/cover.jpg"
    assert post["published_at"].startswith("2024-05-01T10:00:00")
    assert 'href="https://ghost.example/about/"' in post["body_html"]
    # The members-only draft page is a draft here, for staff only.
    assert client.get("/v1/pages/about").status_code == 404
    assert client.get("/v1/pages/about", headers=admin).get_json()["status"] == "draft"

    before = row_counts(app)
    again = import_file(app, "ghost", path, "--site-url", "https://ghost.example")
    assert again["totals"]["created"] == again["totals"]["updated"] == 0
    assert row_counts(app) == {**before, "events": before["events"] + 1}


def _disqus_on(link: bytes) -> bytes:
    return DISQUS.replace(b"https://old.example/2019/05/hello-world/", link)


def test_disqus_comments_land_on_the_post_at_their_thread_link(app, client, publish, tmp_path):
    publish("Hello world", slug="hello-world")
    path = tmp_path / "disqus.xml"
    path.write_bytes(_disqus_on(b"https://blog.example/hello-world/"))
    report = import_file(app, "disqus", path)
    assert report["kinds"]["thread"]["unchanged"] == 1
    assert report["kinds"]["comment"]["created"] == 3
    thread = client.get("/v1/posts/hello-world/comments").get_json()["items"]
    # The spam one is not public; the reply keeps its parent.
    assert [c["author_name"] for c in thread] == ["Ann", thread[1]["author_name"]]
    assert thread[1]["parent_id"] == thread[0]["id"]
    assert "<b>thanks</b>" in thread[0]["body_html"] or "<strong>" in thread[0]["body_html"]

    again = import_file(app, "disqus", path)
    assert again["totals"]["created"] == 0


def test_an_unmatched_thread_is_reported_not_guessed(app, client, publish, tmp_path):
    publish("Hello world", slug="hello-world")  # same slug, but another site's URL
    path = tmp_path / "disqus.xml"
    path.write_bytes(DISQUS)
    before = row_counts(app)
    report = import_file(app, "disqus", path)
    assert report["kinds"]["thread"]["refused"] == 1
    assert report["kinds"]["comment"]["refused"] == 3
    assert report["totals"]["created"] == 0
    assert row_counts(app)["comments"] == before["comments"]


def test_disqus_threads_match_old_wordpress_urls(app, client, wxr_path, tmp_path):
    import_file(app, "wordpress", wxr_path)
    path = tmp_path / "disqus.xml"
    # The guid of "Post Format: Standard" in the WordPress export.
    path.write_bytes(_disqus_on(b"https://wpthemetestdata.wordpress.com/?p=358"))
    report = import_file(app, "disqus", path)
    assert report["kinds"]["comment"]["created"] == 3
    names = [
        c["author_name"]
        for c in client.get("/v1/posts/post-format-standard/comments").get_json()["items"]
    ]
    assert "Ann" in names


def test_a_broken_disqus_file_is_one_line_and_writes_nothing(app, tmp_path, publish):
    publish("Hello world", slug="hello-world")
    path = tmp_path / "disqus.xml"
    path.write_bytes(_disqus_on(b"https://blog.example/hello-world/")[:-40])
    before = row_counts(app)
    result = run_cli(app, "import", "disqus", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("marginalia import disqus: ")
    assert row_counts(app) == before
