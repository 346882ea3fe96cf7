"""Pingbacks between our own posts: made by the worker when a post is published or
edited, one per (source, target), trashed when the link goes."""

import html

from api.demo.loader import POST_SLUG, UPDATES_SLUG, load_demo
from api.demo.seed import read_seed

SITE = "https://blog.example/{slug}/"


def url(slug: str) -> str:
    return SITE.format(slug=slug)


def test_publishing_a_linking_post_makes_one_approved_pingback_on_the_target(
    client, admin, publish, dispatch, entries, events
):
    target = publish("The target")
    source = publish(
        "The source",
        body=f"Intro paragraph.\n\nAs [the target]({url(target['slug'])}) says, things happen.",
    )
    dispatch()
    [entry] = entries(target["id"])
    assert entry.type == "pingback"
    assert entry.status == "approved"
    assert entry.source_url == source["url"] == url("the-source")
    assert entry.source_title == entry.author_name == "The source"
    assert entry.body_html == "<p>[…] As the target says, things happen. […]</p>"
    assert client.get(f"/v1/posts/{target['slug']}").get_json()["comment_count"] == 1
    [(_, data)] = events("pingback.received")
    assert data["comment"]["post_id"] == target["id"]
    assert entries(source["id"]) == []


def test_saving_ten_times_keeps_one_entry_and_removing_the_link_trashes_it(
    client, admin, publish, dispatch, entries
):
    target = publish("The target")
    link = f"See [it]({url(target['slug'])})."
    source = publish("The source", body=link)
    dispatch()
    for n in range(10):
        response = client.patch(
            f"/v1/posts/{source['slug']}", json={"body": f"{link} Edit {n}."}, headers=admin
        )
        assert response.status_code == 200
        dispatch()
    [entry] = entries(target["id"])
    assert entry.status == "approved"

    client.patch(f"/v1/posts/{source['slug']}", json={"body": "No link now."}, headers=admin)
    dispatch()
    [entry] = entries(target["id"])
    assert entry.status == "trash"
    assert client.get(f"/v1/posts/{target['slug']}").get_json()["comment_count"] == 0


def test_edits_saved_before_the_worker_runs_converge_to_the_last_state(
    client, admin, publish, dispatch, entries
):
    target = publish("The target")
    source = publish("The source", body=f"[x]({url(target['slug'])})")
    client.patch(f"/v1/posts/{source['slug']}", json={"body": "gone"}, headers=admin)
    client.patch(
        f"/v1/posts/{source['slug']}", json={"body": f"[y]({url(target['slug'])})"}, headers=admin
    )
    dispatch()
    [entry] = entries(target["id"])
    assert entry.status == "approved"


def test_self_links_drafts_and_other_urls_of_the_site_make_nothing(
    client, admin, publish, dispatch, entries
):
    draft = publish("A draft", status="draft")
    post = publish(
        "Loner",
        body=(
            f"[me]({url('loner')}) [me again](/loner/#top) [draft]({url(draft['slug'])}) "
            "[tag page](https://blog.example/tags/x/extra/) [nobody]"
            f"({url('no-such-post')})"
        ),
    )
    dispatch()
    assert entries(post["id"]) == []
    assert entries(draft["id"]) == []


def test_links_written_relative_or_without_trailing_slash_count(publish, dispatch, entries):
    one, two = publish("One"), publish("Two")
    publish("Source", body=f"[a](/{one['slug']}/) and [b](https://BLOG.example/{two['slug']})")
    dispatch()
    assert [e.source_url for e in entries(one["id"])] == [url("source")]
    assert [e.source_url for e in entries(two["id"])] == [url("source")]


def test_links_to_a_renamed_posts_old_slug_still_ping_it(client, admin, publish, dispatch, entries):
    target = publish("Old name")
    renamed = client.patch(f"/v1/posts/{target['slug']}", json={"slug": "new-name"}, headers=admin)
    assert renamed.status_code == 200
    dispatch()  # the worker learns the old slug from the post.updated event
    publish("Source", body=f"An [old link]({url('old-name')}) and [a new one]({url('new-name')}).")
    dispatch()
    [entry] = entries(target["id"])  # both links name one post: one entry
    assert entry.source_url == url("source")


def test_pingbacks_wait_in_the_queue_when_the_setting_says_so(
    publish, dispatch, entries, settings_with
):
    settings_with(internal_pingbacks_approved=False)
    target = publish("Target")
    publish("Source", body=f"[t]({url(target['slug'])})")
    dispatch()
    [entry] = entries(target["id"])
    assert entry.status == "pending"


def test_posts_with_comments_closed_get_no_pingback(publish, dispatch, entries):
    target = publish("Closed", comments_open=False)
    publish("Source", body=f"[t]({url(target['slug'])})")
    dispatch()
    assert entries(target["id"]) == []


def test_a_draft_links_nothing_until_published(client, admin, publish, dispatch, entries):
    target = publish("Target")
    draft = publish("Draft", status="draft", body=f"[t]({url(target['slug'])})")
    dispatch()
    assert entries(target["id"]) == []
    client.patch(f"/v1/posts/{draft['slug']}", json={"status": "published"}, headers=admin)
    dispatch()
    assert [e.status for e in entries(target["id"])] == ["approved"]


def test_deleting_the_source_trashes_its_pingbacks(client, admin, publish, dispatch, entries):
    target = publish("Target")
    source = publish("Source", body=f"[t]({url(target['slug'])})")
    dispatch()
    fresh = client.get(f"/v1/posts/{source['slug']}", headers=admin).headers["ETag"]
    deleted = client.delete(f"/v1/posts/{source['slug']}", headers={**admin, "If-Match": fresh})
    assert deleted.status_code == 204
    dispatch()
    assert [e.status for e in entries(target["id"])] == ["trash"]


def test_demo_content_carries_the_seed_pages_pingback(app, in_app, entries):
    def load():
        load_demo()
        from api.content.services import find_post

        return (
            find_post(slug=POST_SLUG, site_url=SITE).id,
            find_post(slug=UPDATES_SLUG, site_url=SITE).url,
        )

    post_id, digest_url = in_app(load)
    seed = read_seed()
    [entry] = [e for e in entries(post_id) if e.type == "pingback"]  # beside demo comments
    assert (entry.type, entry.status) == ("pingback", "approved")
    assert entry.source_url == digest_url
    assert entry.author_name == seed.pingback_source.split(" « ")[0]
    assert html.unescape(entry.body_html) == f"<p>{seed.pingback_excerpt}</p>"
