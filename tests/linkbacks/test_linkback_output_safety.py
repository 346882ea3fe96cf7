"""A hostile page that pings us: its title and the text around its link come out inert
on the public thread."""

from xmlrpc.client import dumps

from api.comments.models import Comment
from api.comments.services import comment_data, recount
from api.events.outbox import record_event
from api.infra.database import db
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
        for comment in db.session.query(Comment).filter_by(post_id=target["id"]):
            comment.status = "approved"
            db.session.flush()
            recount(comment.post_id)
            record_event("comment.approved", {"comment": comment_data(comment)})
        db.session.commit()

    in_app(approve_all)
    [entry] = client.get(f"/v1/posts/{target['slug']}/comments").get_json()["items"]
    assert entry["type"] == "pingback"
    assert active_content(entry["body_html"]) == []
    assert "<" not in entry["author_name"] and "alert" not in entry["author_name"]
    assert entry["author_name"].endswith("Hostile")
