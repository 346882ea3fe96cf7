"""The hot reads give exactly the schemas' bytes.

Post lists and single posts, comment threads and the event feed are dumped from rows
(not entities) by dumpers compiled from the schemas (api/web/dumpers.py). Clients and
caches see any difference byte for byte (ETags are hashes of the bytes), so every
response here is compared with what the schema dumps from the ORM entities, pagination
(next, Link, cursors) included.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from api.comments.models import Comment
from api.comments.schemas import CommentSchema
from api.comments.services import add_pingback, import_comment
from api.content import reading
from api.content.models import Author, Post, Tag
from api.content.schemas import POST_FIELDS
from api.content.views import post_columns, post_dumper, post_schema, single_post_schema
from api.events.feed import feed_rows
from api.events.models import Event
from api.events.schemas import EventSchema, feed_item
from api.infra.database import db
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from tests.conftest import bearer

INCLUDES = ("", "author", "tags", "author,tags")


def _json_bytes(app, body) -> bytes:
    with app.app_context():
        return app.json.response(body).get_data()


# --- posts: every representation, for generated data ----------------------------------

# Text a database stores: no NUL or other control characters, no lone surrogates.
text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(UTC)
)
tag_slugs = st.lists(st.from_regex(r"[a-zß0-9é]{1,10}", fullmatch=True), unique=True, max_size=4)
post_data = st.fixed_dictionaries(
    {
        "title": text,
        "excerpt": text,
        "auto_excerpt": text,
        "body": text,
        "body_html": text,
        "status": st.sampled_from(["draft", "scheduled", "published"]),
        "published_at": st.none() | moments,
        "created_at": moments,
        "updated_at": moments,
        "comment_count": st.integers(0, 10**6),
        "comments_open": st.booleans(),
        "tags": tag_slugs,
        "featured": st.booleans(),
        "reading_time": st.integers(0, 10**4),
        "visibility": st.just("public"),
        **{
            name: st.none() | text
            for name in (
                "feature_image",
                "feature_image_alt",
                "feature_image_caption",
                "meta_title",
                "meta_description",
                "og_image",
                "og_title",
                "og_description",
                "twitter_image",
                "twitter_title",
                "twitter_description",
                "canonical_url",
            )
        },
    }
)
FORMATS = (("html",), ("plaintext",), ("html", "plaintext"))
author_data = st.fixed_dictionaries(
    {
        "name": text.filter(bool),
        "bio": text,
        "email": st.none() | st.just("a@example.org"),
        "website": st.none() | text,
        "avatar_url": st.none() | text,
    }
)
_serial = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    authors=st.lists(author_data, min_size=1, max_size=2),
    posts=st.lists(post_data, min_size=1, max_size=4),
    fields=st.lists(st.sampled_from(POST_FIELDS), unique=True, max_size=5).map(tuple),
)
def test_every_post_representation_equals_the_schema_dump(app, authors, posts, fields):
    with app.app_context():
        try:
            ids = _store(authors, posts)
            _compare_posts(app, ids, fields)
        finally:
            db.session.rollback()
            for model in (Post, Tag, Author):
                db.session.execute(delete(model))
            db.session.commit()
            db.session.remove()


def _store(authors: list[dict], posts: list[dict]) -> list[int]:
    stored_authors = []
    for data in authors:
        author = Author(slug=f"author-{next(_serial)}", **data)
        db.session.add(author)
        stored_authors.append(author)
    tags: dict[str, Tag] = {}
    stored = []
    for number, data in enumerate(posts):
        data = dict(data)
        names = data.pop("tags")
        for name in names:
            if name not in tags:
                tags[name] = Tag(slug=name, name=name.upper(), description=f"About {name}")
        post = Post(
            slug=f"post-{next(_serial)}",
            author=stored_authors[number % len(stored_authors)],
            tags=[tags[name] for name in names],
            **data,
        )
        db.session.add(post)
        stored.append(post)
    db.session.commit()
    ids = [post.id for post in stored]
    db.session.expunge_all()
    return ids


def _compare_posts(app, ids: list[int], fields: tuple[str, ...]) -> None:
    entities = {post.id: post for post in db.session.scalars(select(Post).where(Post.id.in_(ids)))}
    for staff, full_author, full_tags, chosen, formats in itertools.product(
        (False, True), (False, True), (False, True), ((), fields), FORMATS
    ):
        schema = post_schema(
            staff=staff,
            full_author=full_author,
            full_tags=full_tags,
            fields=chosen,
            formats=formats,
        )
        dump = post_dumper(
            staff=staff,
            full_author=full_author,
            full_tags=full_tags,
            fields=chosen,
            formats=formats,
        )
        for post_id in ids:
            entity = entities[post_id]
            record = reading.read_post(_Staff(), entity.slug, post_columns(staff, chosen))
            fast, expected = dump(record), schema.dump(entity)
            assert fast == expected
            assert app.json.dumps(fast) == app.json.dumps(expected)  # key order too


class _Staff:
    """An admin, as read_post sees actors (drafts are readable)."""

    author_id = None
    sees_all_posts = True
    can_read_drafts = True

    def can(self, permission) -> bool:
        return True


# --- posts over HTTP: lists with filters, pages, Link headers and cursors ---------------


def test_post_lists_and_posts_over_http_equal_the_schema_dump(app, client, admin, author, publish):
    other = client.post(
        "/v1/authors",
        json={
            "name": "Zoë Ødegård 玲",
            "bio": "Écrit des choses.",
            "website": "https://zoe.example/",
            "avatar_url": "https://zoe.example/a.png",
        },
        headers=admin,
    ).get_json()
    past = datetime.now(UTC) - timedelta(days=3)
    publish("Lovelace on engines", tags=["alpha", "beta"], excerpt="Written by hand.")
    publish("Ünïcödé ☃ thoughts", body="Ça va? — ☃ " * 40, tags=["beta", "Gamma ray"])
    publish("No tags at all", author=other["slug"])
    publish("Back-dated", published_at=past.isoformat(), tags=["alpha"])
    publish("Same instant", published_at=past.isoformat())
    publish("A draft", status="draft", tags=["alpha"])
    publish(
        "Later",
        status="scheduled",
        published_at=(datetime.now(UTC) + timedelta(days=2)).isoformat(),
        author=other["slug"],
    )
    own = bearer(_author_token(app, author["slug"]))
    for path, headers in [(f"/v1/posts?limit=2&include={include}", {}) for include in INCLUDES] + [
        ("/v1/posts?limit=3&include=author,tags&fields=title,tags,slug", {}),
        ("/v1/posts?limit=1&tag=alpha", {}),
        (f"/v1/posts?limit=1&author={other['slug']}&include=author", {}),
        ("/v1/posts?limit=1&q=lovelace", {}),
        ("/v1/posts?q=%C3%A7a", {}),  # ça
        (
            "/v1/posts?limit=2&published_before="
            + (past + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            {},
        ),
        ("/v1/posts?limit=2&status=any&include=tags", admin),
        ("/v1/posts?limit=2&status=draft&fields=status,body_html,slug", admin),
        ("/v1/posts?limit=2&status=any", own),
        ("/v1/posts?limit=3", admin),
    ]:
        assert _walk_post_pages(app, client, path, headers), path
    # A search without words finds nothing, the same way.
    assert _walk_post_pages(app, client, "/v1/posts?q=%E2%98%83", {}) == []
    with app.app_context():
        slugs = list(db.session.scalars(select(Post.slug)))
    for slug, headers, fields in itertools.product(
        slugs, ({}, admin, own), ((), ("author", "title"), ("tags",))
    ):
        _compare_post(app, client, slug, headers, fields)


def _author_token(app, slug: str) -> str:
    from api.auth.tokens import create_token

    with app.app_context():
        with unit_of_work():
            _, plain = create_token("own", "author", slug)
        db.session.remove()
    return plain


def _walk_post_pages(app, client, path: str, headers: dict) -> list[str]:
    staff = bool(headers)
    query = dict(parse_qsl(urlsplit(path).query))
    include = query.get("include", "")
    fields = tuple(query["fields"].split(",")) if "fields" in query else ()
    if fields:  # a sparse post always names itself
        fields = tuple(dict.fromkeys(("id", "slug", *fields)))
    seen: list[str] = []
    url = path
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.get_json())
        page = response.get_json()
        with app.app_context():
            entities = [
                db.session.scalar(select(Post).where(Post.slug == item["slug"]))
                for item in page["items"]
            ]
            schema = post_schema(
                staff=staff,
                full_author="author" in include,
                full_tags="tags" in include,
                fields=fields,
            )
            staff_order = query.get("status") not in (None, "published")
            keys = (
                [
                    [post.created_at if staff_order else post.published_at, post.id]
                    for post in (entities[0], entities[-1])
                ]
                if entities
                else [None, None]
            )
            links = _page_links(app, "posts", url, keys, bool(page["next"]))
            expected = {"items": schema.dump(entities, many=True), **links}
            seen += [post.slug for post in entities]
            db.session.remove()
        assert response.get_data() == _json_bytes(app, expected), url
        # The page's neighbours, then the posts feeds (rel=alternate, api/feeds/routes.py).
        paging = [_link_header(links)] if links["next"] or links["prev"] else []
        assert response.headers["Link"] == ", ".join([*paging, POSTS_FEEDS])
        url = page["next"]
    assert len(seen) == len(set(seen)), path
    return seen


def _page_links(app, salt: str, url: str, keys: list, has_next: bool) -> dict:
    """What page_body writes after the items: the next page from the last item's key,
    the previous one (backwards from the first item's key) unless this is the first
    page; each as the same query with the other cursor."""
    codec = CursorCodec(app.config["SECRET_KEY"], salt)
    first, last = keys
    next_cursor = codec.encode(last) if has_next else None
    prev_cursor = codec.encode(first, backwards=True) if "cursor=" in url else None
    parts = urlsplit(url)
    args = [(k, v) for k, v in parse_qsl(parts.query, True) if k != "cursor"]

    def page_url(cursor):
        return f"{parts.path}?{urlencode([*args, ('cursor', cursor)])}" if cursor else None

    return {
        "next": page_url(next_cursor),
        "next_cursor": next_cursor,
        "prev": page_url(prev_cursor),
        "prev_cursor": prev_cursor,
    }


POSTS_FEEDS = (
    '<https://api.blog.example/v1/feeds/posts.atom>; rel="alternate"; '
    'type="application/atom+xml", <https://api.blog.example/v1/feeds/posts.json>; '
    'rel="alternate"; type="application/feed+json"'
)


def _link_header(links: dict) -> str:
    return ", ".join(
        f'<{links[rel]}>; rel="{rel}"' for rel in ("next", "prev") if links[rel] is not None
    )


def _compare_post(app, client, slug: str, headers: dict, fields: tuple[str, ...]) -> None:
    path = f"/v1/posts/{slug}" + (f"?fields={','.join(fields)}" if fields else "")
    response = client.get(path, headers=headers)
    if response.status_code == 404:  # a draft for a reader, another author's for `own`
        with app.app_context():
            assert db.session.scalar(select(Post.status).where(Post.slug == slug)) != "published"
            db.session.remove()
        return
    with app.app_context():
        entity = db.session.scalar(select(Post).where(Post.slug == slug))
        named = tuple(dict.fromkeys(("id", "slug", *fields))) if fields else ()
        expected = single_post_schema(bool(headers), named).dump(entity)
        db.session.remove()
    assert response.get_data() == _json_bytes(app, expected), path


# --- the comment thread ----------------------------------------------------------------


def test_comment_thread_pages_equal_the_schema_dump(app, client, publish):
    post = publish("Discussed")
    with app.app_context(), unit_of_work():
        post_id = db.session.scalar(select(Post.id).where(Post.slug == post["slug"]))
        start = datetime(2026, 1, 1, tzinfo=UTC)
        first = import_comment(
            post_id=post_id,
            body="First, *with* [a link](https://x.example/)",
            author_name="Ada",
            author_url="https://ada.example/",
            status="approved",
            created_at=start,
        )
        for number in range(7):
            import_comment(
                post_id=post_id,
                body=f"Réponse ☃ n°{number}",
                author_name=f"Zoë {number}",
                status="approved" if number != 3 else "pending",
                # Two at the same instant: the cursor's id breaks the tie.
                created_at=start + timedelta(minutes=number // 2),
                parent_id=first.id if number % 2 else None,
            )
        add_pingback(
            post_id=post_id,
            source_url="https://elsewhere.example/post",
            source_title="Elsewhere — “quoted”",
            excerpt_html="<p>…</p>",
            status="approved",
        )
    with app.app_context():
        db.session.remove()
    seen = []
    url = f"/v1/posts/{post['slug']}/comments?limit=3"
    while url:
        response = client.get(url)
        page = response.get_json()
        with app.app_context():
            entities = [db.session.get(Comment, item["id"]) for item in page["items"]]
            keys = [[c.created_at, c.id] for c in (entities[0], entities[-1])]  # never empty
            links = _page_links(app, "comments", url, keys, bool(page["next"]))
            expected = {"items": CommentSchema(many=True).dump(entities), **links}
            db.session.remove()
        assert response.get_data() == _json_bytes(app, expected)
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    with app.app_context():
        approved = db.session.scalars(
            select(Comment.id)
            .where(Comment.status == "approved")
            .order_by(Comment.created_at, Comment.id)
        ).all()
        db.session.remove()
    assert seen == approved and len(seen) == 8


def test_a_comment_not_approved_is_shown_as_pending_by_both(app):
    """The thread only lists approved items, but the rule is the schema's: the same."""
    from api.comments.views import public_comment

    comment = Comment(
        id=7,
        type="comment",
        status="spam",
        body_html="<p>x</p>",
        author_name="S",
        author_url=None,
        parent_id=None,
        created_at=datetime(2026, 5, 1, 12, 30, 15, 999, tzinfo=UTC),
    )
    assert public_comment(comment) == CommentSchema().dump(comment)
    assert public_comment(comment)["status"] == "pending"


# --- the event feed --------------------------------------------------------------------


def test_event_feed_equals_the_schema_dump(app, client, admin, publish):
    post = publish("Evented ☃", tags=["alpha"])
    client.patch(f"/v1/posts/{post['slug']}", json={"title": "Renamed"}, headers=admin)
    response = client.get("/v1/events?limit=2", headers=admin)
    with app.app_context():
        entities = list(db.session.scalars(select(Event).order_by(Event.id)))
        rows = feed_rows(0, 100)
        assert [feed_item(row) for row in rows] == EventSchema(many=True).dump(entities)
        expected = {
            "items": EventSchema(many=True).dump(entities[:2]),
            "next": f"/v1/events?limit=2&after={entities[1].id}",
        }
        db.session.remove()
    assert len(entities) > 2
    assert response.get_data() == _json_bytes(app, expected)
