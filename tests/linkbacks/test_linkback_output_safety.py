"""A hostile page that pings us: its title and the text around its link come out inert
on the public thread."""

from xmlrpc.client import dumps

from api.comments import status as comments
from api.events import catalogue as events
from api.infra.unit_of_work import unit_of_work
from tests.linkbacks.conftest import Page, html_page
from tests.unit.test_rendering import VECTORS, active_content


def test_hostile_pingback_titles_and_excerpts_are_inert(
    client, site, allow_private, publish, in_app
):
    target = publish("Target of a hostile page")
    hostile = " ".join(VECTORS[:12])
    site.pages["/hostile"] = Page(
        body=html_page(
            f'<p>{hostile} <a href="{target["url"]}">a link</a> {" ".join(VECTORS[12:])}</p>',
            title="<script>alert(1)</script><img src=x onerror=alert(2)>Hostile",
        )
    )
    call = dumps((site.url("/hostile"), target["url"]), "pingback.ping").encode()
    answer = client.post("/xmlrpc", data=call, content_type="text/xml")
    assert b"<fault>" not in answer.data, answer.data

    def approve_all():
        with unit_of_work():
            pending = comments.queue_page(
                comments.QueueFilters(post_id=target["id"]), limit=10, cursor=None, codec=None
            ).items
            comments.move(pending, "approved", events.COMMENT_APPROVED, {})

    in_app(approve_all)
    [entry] = client.get(f"/v1/posts/{target['slug']}/comments").get_json()["items"]
    assert entry["type"] == "pingback"
    assert active_content(entry["body_html"]) == []
    assert "<" not in entry["author_name"] and "alert" not in entry["author_name"]
    assert entry["author_name"].endswith("Hostile")
