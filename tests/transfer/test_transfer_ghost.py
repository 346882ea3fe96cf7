"""Ghost's JSON export: the 4.x/5.x table shape (posts, posts_meta, tags, users,
posts_tags, posts_authors inside {"db": [{"meta", "data"}]}) and the older one."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, datetime

import pytest

from api.transfer.errors import ImportFileError
from api.transfer.ghost import (
    GhostPost,
    GhostSite,
    GhostTag,
    GhostUser,
    map_ghost_status,
    read_ghost,
)

GHOST_5 = {
    "db": [
        {
            "meta": {"exported_on": 1716200000000, "version": "5.82.0"},
            "data": {
                "posts": [
                    {
                        "id": "6630a1",
                        "uuid": "1f0c6c1e-0000-4000-8000-000000000001",
                        "title": "Hello from Ghost",
                        "slug": "hello-from-ghost",
                        "mobiledoc": None,
                        "lexical": '{"root":{"children":[{"type":"paragraph"}]}}',
                        "html": '<p>See <a href="__GHOST_URL__/about/">about</a></p>',
                        "comment_id": "6630a1",
                        "plaintext": "See about",
                        "feature_image": "__GHOST_URL__/content/images/2024/05/cover.jpg",
                        "featured": 1,
                        "type": "post",
                        "status": "published",
                        "locale": None,
                        "visibility": "public",
                        "email_recipient_filter": "all",
                        "created_at": "2024-05-01T09:00:00.000Z",
                        "updated_at": "2024-05-02T09:00:00.000Z",
                        "published_at": "2024-05-01T10:00:00.000Z",
                        "custom_excerpt": "A first post",
                        "codeinjection_head": None,
                        "codeinjection_foot": None,
                        "custom_template": None,
                        "canonical_url": None,
                        "newsletter_id": None,
                    },
                    {
                        "id": "6630a2",
                        "uuid": "1f0c6c1e-0000-4000-8000-000000000002",
                        "title": "About",
                        "slug": "about",
                        "mobiledoc": '{"version":"0.3.1","cards":[],"sections":[]}',
                        "lexical": None,
                        "html": "<p>Who we are.</p>",
                        "plaintext": "Who we are.",
                        "feature_image": None,
                        "featured": 0,
                        "type": "page",
                        "status": "draft",
                        "visibility": "members",
                        "created_at": "2024-04-01T09:00:00.000Z",
                        "updated_at": "2024-04-01T09:00:00.000Z",
                        "published_at": None,
                        "custom_excerpt": None,
                        "canonical_url": "https://elsewhere.example/about",
                    },
                ],
                "posts_meta": [
                    {
                        "id": "m1",
                        "post_id": "6630a1",
                        "og_image": "__GHOST_URL__/content/images/og.jpg",
                        "og_title": "OG title",
                        "og_description": None,
                        "twitter_image": None,
                        "twitter_title": None,
                        "twitter_description": None,
                        "meta_title": "SEO title",
                        "meta_description": "SEO description",
                        "email_subject": None,
                        "frontmatter": None,
                        "feature_image_alt": "A cover",
                        "feature_image_caption": "Photo by Ann",
                        "email_only": 0,
                    }
                ],
                "posts_authors": [
                    # File order is not sort order: the primary author has sort_order 0.
                    {"id": "pa2", "post_id": "6630a1", "author_id": "u2", "sort_order": 1},
                    {"id": "pa1", "post_id": "6630a1", "author_id": "u1", "sort_order": 0},
                    {"id": "pa3", "post_id": "6630a2", "author_id": "u2", "sort_order": 0},
                ],
                "posts_tags": [
                    {"id": "pt2", "post_id": "6630a1", "tag_id": "t2", "sort_order": 1},
                    {"id": "pt1", "post_id": "6630a1", "tag_id": "t1", "sort_order": 0},
                ],
                "tags": [
                    {
                        "id": "t1",
                        "name": "News & Weather",
                        "slug": "news-weather",
                        "description": "Forecasts",
                        "feature_image": None,
                        "parent_id": None,
                        "visibility": "public",
                        "meta_title": None,
                        "meta_description": None,
                    },
                    {
                        "id": "t2",
                        "name": "#import",
                        "slug": "hash-import",
                        "description": None,
                        "visibility": "internal",
                    },
                ],
                "users": [
                    {
                        "id": "u1",
                        "name": "Jo Bloggs",
                        "slug": "jo",
                        "password": "$2a$10$notarealhashbutlookslikeone",
                        "email": "jo@example.com",
                        "profile_image": "__GHOST_URL__/content/images/jo.png",
                        "bio": "Writes things",
                        "website": "https://jo.example",
                        "location": "Leeds",
                        "status": "active",
                    },
                    {
                        "id": "u2",
                        "name": "Sam",
                        "slug": "sam",
                        "password": "$2a$10$anotherfakehashvalue",
                        "email": "sam@example.com",
                        "status": "inactive",
                    },
                ],
                "members": [],
                "settings": [{"key": "title", "value": "My Ghost"}],
            },
        }
    ]
}


def ghost_file(document: object) -> io.BytesIO:
    return io.BytesIO(json.dumps(document).encode())


def test_a_ghost_5_export_reads_as_site_users_tags_and_posts():
    records = list(read_ghost(ghost_file(GHOST_5), site_url="https://blog.example/"))
    site, jo, sam, news, internal, post, page = records
    assert site == GhostSite(
        version="5.82.0", exported_on=datetime(2024, 5, 20, 10, 13, 20, tzinfo=UTC)
    )
    assert jo == GhostUser(
        id="u1",
        name="Jo Bloggs",
        slug="jo",
        email="jo@example.com",
        bio="Writes things",
        website="https://jo.example",
        location="Leeds",
        profile_image="https://blog.example/content/images/jo.png",
        status="active",
    )
    assert sam.status == "inactive"
    assert news == GhostTag(
        id="t1",
        name="News & Weather",
        slug="news-weather",
        description="Forecasts",
        feature_image="",
        parent_id=None,
        is_internal=False,
        meta_title="",
        meta_description="",
    )
    assert internal.is_internal
    assert isinstance(post, GhostPost)
    assert post.type == "post"
    assert post.featured is True
    assert post.html == '<p>See <a href="https://blog.example/about/">about</a></p>'
    assert post.feature_image == "https://blog.example/content/images/2024/05/cover.jpg"
    assert (post.feature_image_alt, post.feature_image_caption) == ("A cover", "Photo by Ann")
    assert (post.meta_title, post.meta_description) == ("SEO title", "SEO description")
    assert post.og_image == "https://blog.example/content/images/og.jpg"
    assert post.lexical.startswith('{"root"')
    assert post.published_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert post.custom_excerpt == "A first post"
    assert post.author_ids == ("u1", "u2")
    assert post.primary_author_id == "u1"
    assert post.author_slugs == ("jo", "sam")
    assert post.tag_ids == ("t1", "t2")
    assert post.tag_slugs == ("news-weather", "hash-import")
    assert page.type == "page"
    assert page.status == "draft"
    assert page.visibility == "members"
    assert page.primary_author_id == "u2"
    assert page.published_at is None
    assert page.canonical_url == "https://elsewhere.example/about"
    assert page.tag_ids == ()


def test_ghost_placeholders_become_site_relative_paths_by_default():
    records = list(read_ghost(ghost_file(GHOST_5)))
    post = records[5]
    assert post.html == '<p>See <a href="/about/">about</a></p>'
    assert post.feature_image == "/content/images/2024/05/cover.jpg"


def test_password_hashes_are_never_read():
    records = list(read_ghost(ghost_file(GHOST_5)))
    assert "$2a$10$" not in repr(records)


LEGACY = {
    # Before Ghost 1.0: no db wrapper, epoch-millisecond dates, pages as page: 1, one
    # author per post as author_id, SEO fields on the post itself.
    "meta": {"exported_on": 1388805572000, "version": "003"},
    "data": {
        "posts": [
            {
                "id": 5,
                "title": "my blog post title",
                "slug": "my-blog-post-title",
                "markdown": "the *markdown* formatted post body",
                "html": "the <i>html</i> formatted post body",
                "image": None,
                "featured": 0,
                "page": 1,
                "status": "published",
                "meta_title": "Old SEO title",
                "author_id": 1,
                "created_at": 1283780649000,
                "published_at": 1283780649000,
            }
        ],
        "tags": [{"id": 3, "name": "Colorado Ho!", "slug": "colorado-ho", "description": ""}],
        "posts_tags": [{"tag_id": 3, "post_id": 5}],
        "users": [{"id": 1, "name": "Owner", "slug": "owner", "email": "o@example.com"}],
    },
}


def test_an_export_from_before_ghost_1_reads_too():
    site, owner, tag, page = read_ghost(ghost_file(LEGACY))
    assert site.version == "003"
    assert owner.id == "1"
    assert tag.slug == "colorado-ho"
    assert page.type == "page"
    assert page.author_ids == ("1",)
    assert page.tag_slugs == ("colorado-ho",)
    assert page.meta_title == "Old SEO title"
    assert page.published_at == datetime(2010, 9, 6, 13, 44, 9, tzinfo=UTC)
    assert page.html == "the <i>html</i> formatted post body"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b'{"db": [', "not valid JSON"),
        (b'{"posts": []}', "not a Ghost export"),
        (b'{"db": []}', "not a Ghost export"),
        (b"[1, 2, 3]", "not a Ghost export"),
        (b'{"meta": {}, "data": {"tags": []}}', "data.posts is not a list"),
        (b'{"meta": {}, "data": {"posts": [1]}}', "data.posts[0] is not an object"),
        (b'{"meta": {}, "data": {"posts": [], "tags": "x"}}', "data.tags is not a list"),
        (b'{"meta": {"version": "\xff"}, "data": {"posts": []}}', "invalid UTF-8 at byte 22"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_a_file_that_is_not_a_ghost_export_is_refused(content, expected):
    with pytest.raises(ImportFileError) as caught:
        list(read_ghost(io.BytesIO(content)))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "ghost.json"
    document = copy.deepcopy(GHOST_5)
    document["db"][0]["data"]["posts"][0]["html"] = "<p>x</p>" * 200_000
    path.write_text(json.dumps(document))
    with pytest.raises(ImportFileError, match="over the 1 MiB"):
        list(read_ghost(path, max_bytes=1024 * 1024))
    # A stream of unknown size is stopped once it passes the limit.
    with pytest.raises(ImportFileError, match="over the 1 MiB"):
        list(read_ghost(_Unsized(path.read_bytes()), max_bytes=1024 * 1024))
    assert len(list(read_ghost(path))) == 7


class _Unsized(io.RawIOBase):
    """A pipe-like stream: no size to ask for."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def fileno(self) -> int:
        raise OSError("no file descriptor")


def test_progress_reaches_the_end_of_the_file():
    content = json.dumps(GHOST_5).encode()
    seen: list[int] = []
    list(read_ghost(io.BytesIO(content), progress=seen.append))
    assert seen[-1] == len(content)


@pytest.mark.parametrize(
    ("ghost", "ours", "noted"),
    [
        ("published", "published", False),
        ("draft", "draft", False),
        ("scheduled", "scheduled", False),
        ("sent", "draft", True),
        ("archived", None, True),
    ],
)
def test_ghost_statuses_map_to_ours(ghost, ours, noted):
    mapped = map_ghost_status(ghost)
    assert mapped.value == ours
    assert (mapped.note is not None) == noted
