"""`_fields`, `_embed` and `_envelope` as WordPress applies them
(https://developer.wordpress.org/rest-api/using-the-rest-api/global-parameters/,
.../linking-and-embedding/)."""

from __future__ import annotations

import pytest

from api.compat.wordpress import (
    WordPressSite,
    wp_category,
    wp_comment,
    wp_post,
    wp_tag,
    wp_user,
)
from api.compat.wp_render import (
    EMBED_ALL,
    compact_links,
    envelope,
    filter_fields,
    parse_embed,
    parse_fields,
    parse_list,
    render,
    render_collection,
)

SITE = WordPressSite("Site", "", "https://blog.example/", "https://api.example/wp-json/")
JO = {"id": 2, "slug": "jo", "name": "Jo"}
NEWS = {"id": 5, "slug": "news", "name": "News"}
POST = {
    "id": 4,
    "slug": "hello",
    "title": "Hello",
    "excerpt": "Hi",
    "body_html": "<p>Hi</p>",
    "status": "published",
    "published_at": "2024-01-01T00:00:00Z",
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-01T00:00:00Z",
    "author": JO,
    "tags": [NEWS],
    "url": "https://blog.example/hello/",
}
COMMENT = {
    "id": 8,
    "body_html": "<p>Nice</p>",
    "author_name": "Al",
    "created_at": "2024-01-02T00:00:00Z",
}


def resolver(calls: list):
    """What an adapter does: fetch the linked resource, render it in embed context."""

    def resolve(rel, link):
        calls.append(rel)
        if rel == "author":
            return render(wp_user(JO, SITE), context="embed")
        if rel == "wp:term":
            shape = wp_tag if link["taxonomy"] == "post_tag" else wp_category
            return [render(shape(NEWS, SITE), context="embed")]
        if rel == "replies":
            return [
                render(wp_comment(COMMENT, SITE, post_id=4, post_url=POST["url"]), context="embed")
            ]
        return None

    return resolve


def test_links_use_compact_relations_with_curies():
    links = render(wp_post(POST, SITE))["_links"]
    assert "wp:term" in links and "https://api.w.org/term" not in links
    assert links["curies"] == [{"name": "wp", "href": "https://api.w.org/{rel}", "templated": True}]
    assert "curies" not in render(wp_user(JO, SITE))["_links"]
    assert compact_links({}) == {}


@pytest.mark.parametrize(
    ("raw", "tree"),
    [
        (None, None),
        ("", None),
        ("id,title", {"id": True, "title": True}),
        (" id , title ", {"id": True, "title": True}),
        (["id", "title"], {"id": True, "title": True}),
        (["id,link", "title"], {"id": True, "link": True, "title": True}),
        ("title.rendered", {"title": {"rendered": True}}),
        ("meta.a.b,meta.c", {"meta": {"a": {"b": True}, "c": True}}),
        # A parent asked for whole wins over its children, in either order.
        ("title,title.rendered", {"title": True}),
        ("title.rendered,title", {"title": True}),
    ],
)
def test_fields_parameter(raw, tree):
    assert parse_fields(raw) == tree


def test_fields_keep_only_what_is_asked():
    body = render(wp_post(POST, SITE), fields=parse_fields("id,title.rendered,link"))
    assert body == {"id": 4, "title": {"rendered": "Hello"}, "link": "https://blog.example/hello/"}


def test_fields_with_links_and_nested_links():
    body = render(wp_post(POST, SITE), fields=parse_fields("id,_links.self"))
    assert body == {
        "id": 4,
        "_links": {"self": [{"href": "https://api.example/wp-json/wp/v2/posts/4"}]},
    }
    # Below a list WordPress keeps nothing: its keys are positions, not names.
    assert filter_fields({"a": [{"href": "x"}]}, {"a": {"href": True}}) == {"a": []}
    # Asking for a field of a plain value keeps the value.
    assert filter_fields({"id": 4}, {"id": {"x": True}}) == {"id": 4}


def test_fields_apply_to_each_item_of_a_collection():
    bodies = render_collection(
        [wp_post(POST, SITE), wp_post(POST | {"id": 5, "slug": "two"}, SITE)],
        fields=parse_fields("id,slug"),
    )
    assert bodies == [{"id": 4, "slug": "hello"}, {"id": 5, "slug": "two"}]


@pytest.mark.parametrize(
    ("raw", "present", "embed"),
    [
        (None, False, None),
        ("", True, EMBED_ALL),
        ("1", True, EMBED_ALL),
        ("true", True, EMBED_ALL),
        ([""], True, EMBED_ALL),
        ("author", True, frozenset({"author"})),
        ("author,wp:term", True, frozenset({"author", "wp:term"})),
        (["author", "replies"], True, frozenset({"author", "replies"})),
    ],
)
def test_embed_parameter(raw, present, embed):
    assert parse_embed(raw, present) == embed


def test_embed_everything():
    calls = []
    body = render(wp_post(POST, SITE), embed=EMBED_ALL, resolve=resolver(calls))
    embedded = body["_embedded"]
    assert list(embedded) == ["author", "replies", "wp:term"]
    assert embedded["author"][0]["name"] == "Jo"
    assert embedded["author"][0]["_links"]["self"]
    assert embedded["replies"] == [
        [render(wp_comment(COMMENT, SITE, post_id=4, post_url=POST["url"]), context="embed")]
    ]
    assert [terms[0]["taxonomy"] for terms in embedded["wp:term"]] == ["category", "post_tag"]
    assert "_links" in body
    # Links that are not embeddable are never fetched.
    assert sorted(set(calls)) == ["author", "replies", "wp:term"]


def test_embed_only_the_relations_asked_for():
    calls = []
    body = render(wp_post(POST, SITE), embed=frozenset({"author"}), resolve=resolver(calls))
    assert list(body["_embedded"]) == ["author"]
    assert calls == ["author"]


def test_a_relation_with_nothing_to_embed_is_left_out():
    # A post without comments has no `replies` in `_embedded`.
    def resolve(rel, link):
        return [] if rel == "replies" else None

    body = render(wp_post(POST, SITE), embed=EMBED_ALL, resolve=resolve)
    assert "_embedded" not in body


def test_non_embeddable_links_keep_their_place():
    from api.compat.wordpress import WpResource
    from api.compat.wp_render import embed_links

    links = {"up": [{"href": "a"}, {"href": "b", "embeddable": True}]}
    assert embed_links(links, EMBED_ALL, lambda rel, link: {"id": 1}) == {"up": [{}, {"id": 1}]}
    assert render(
        WpResource("tag", {"id": 1}, links), embed=EMBED_ALL, resolve=lambda rel, link: None
    ) == {
        "id": 1,
        "_links": links,
    }


def test_fields_and_embed_together():
    calls = []
    resolve = resolver(calls)
    resource = wp_post(POST, SITE)
    # Without _embed, _links and _embedded only when listed.
    assert render(resource, fields=parse_fields("id,title")) == {
        "id": 4,
        "title": {"rendered": "Hello"},
    }
    # The workaround WordPress needs (_links and _embedded listed) gives WordPress's answer.
    body = render(
        resource, fields=parse_fields("id,_links,_embedded"), embed=EMBED_ALL, resolve=resolve
    )
    assert set(body) == {"id", "_links", "_embedded"}
    assert body["_links"] == render(resource)["_links"]
    # `_embed` is honoured with `_fields` (WordPress ticket #49985): the embedded
    # relations come with their links, and nothing else is added.
    body = render(
        resource, fields=parse_fields("title,author"), embed=frozenset({"author"}), resolve=resolve
    )
    assert body == {
        "title": {"rendered": "Hello"},
        "author": 2,
        "_links": {
            "author": [{"embeddable": True, "href": "https://api.example/wp-json/wp/v2/users/2"}]
        },
        "_embedded": {"author": [render(wp_user(JO, SITE), context="embed")]},
    }
    body = render(
        resource, fields=parse_fields("id,_embedded.author"), embed=EMBED_ALL, resolve=resolve
    )
    assert list(body["_embedded"]) == ["author"]
    assert set(body["_links"]) == {"author", "replies", "wp:term"}
    body = render(
        resource,
        fields=parse_fields("id,_links.self"),
        embed=frozenset({"author"}),
        resolve=resolve,
    )
    assert set(body["_links"]) == {"self", "author"}


def test_envelope():
    body = [{"id": 1}]
    assert envelope(body, 200, {"X-WP-Total": "1"}) == {
        "body": body,
        "status": 200,
        "headers": {"X-WP-Total": "1"},
    }


def test_parse_list_splits_commas_and_spaces():
    assert parse_list("a, b  c,,d") == ["a", "b", "c", "d"]
    assert parse_list(["a,b", "c"]) == ["a", "b", "c"]
    assert parse_list(None) == []
