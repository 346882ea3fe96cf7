"""How posts, authors and tags are shown: one cached schema per representation, and
hand-written serialisers of the same representations for the hot reads."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import marshmallow as ma

from api.content.reading import PostColumns, PostRecord
from api.content.schemas import AuthorSchema, PostSchema, TagSchema
from api.rendering import plain_text_document
from api.web.fields import rfc3339

# Ghost's fields, in PostSchema's order after custom_excerpt: plain column values.
CONTENT_FIELDS = (
    "feature_image",
    "feature_image_alt",
    "feature_image_caption",
    "featured",
    "meta_title",
    "meta_description",
    "og_image",
    "og_title",
    "og_description",
    "twitter_image",
    "twitter_title",
    "twitter_description",
    "canonical_url",
    "reading_time",
    "visibility",
)
AUTHOR_EMBEDDED = ("id", "slug", "name", "bio", "website", "avatar_url")
TAG_EMBEDDED = ("id", "slug", "name", "description")
SUMMARY = ("slug", "name")


@lru_cache(maxsize=256)
def post_schema(
    *,
    staff: bool,
    full_author: bool,
    full_tags: bool,
    fields: tuple[str, ...] = (),
    formats: tuple[str, ...] = ("html",),
) -> ma.Schema:
    view = type(
        "PostView",
        (PostSchema,),
        {
            "author": ma.fields.Nested(
                AuthorSchema(only=AUTHOR_EMBEDDED if full_author else SUMMARY)
            ),
            "tags": ma.fields.List(
                ma.fields.Nested(TagSchema(only=TAG_EMBEDDED if full_tags else SUMMARY))
            ),
        },
    )
    return view(only=tuple(fields) or None, exclude=_excluded(staff, formats))


def _excluded(staff: bool, formats: tuple[str, ...]) -> tuple[str, ...]:
    """What a representation leaves out: the Markdown for readers, formats not asked for."""
    left_out = () if staff else ("body", "unpublish_at")
    left_out += () if "html" in formats else ("body_html",)
    return left_out + (() if "plaintext" in formats else ("plaintext",))


def single_post_schema(
    staff: bool, fields: tuple[str, ...] = (), formats: tuple[str, ...] = ("html",)
) -> ma.Schema:
    """A single post embeds its whole author and tags."""
    return post_schema(
        staff=staff, full_author=True, full_tags=True, fields=fields, formats=formats
    )


@lru_cache(maxsize=4)
def author_schema(*, staff: bool, many: bool = False) -> ma.Schema:
    return AuthorSchema(many=many, exclude=() if staff else ("email",))


@lru_cache(maxsize=2)
def tag_schema(*, many: bool = False) -> ma.Schema:
    return TagSchema(many=many)


# --- the hot reads: hand-written, byte for byte what the schemas above dump ------------


@lru_cache(maxsize=256)
def post_dumper(
    *,
    staff: bool,
    full_author: bool,
    full_tags: bool,
    fields: tuple[str, ...] = (),
    formats: tuple[str, ...] = ("html",),
    site_url: str,
    api_url: str,
) -> Callable[[PostRecord], dict]:
    """`post_schema(...).dump` for a PostRecord of api/content/reading.py, without
    marshmallow's per-field machinery (3 ms of a 20-post page). The schemas stay the
    contract (openapi.yaml); tests/integration/test_fast_views.py holds the two equal.
    """
    pingback_url = api_url.rstrip("/") + "/xmlrpc"
    webmention_url = api_url.rstrip("/") + "/v1/webmention"
    author_of = _full_author if full_author else _summary_author
    tag_of = _full_tag if full_tags else _summary_tag
    with_body = staff and not fields  # `fields` never names body
    html, plaintext = "html" in formats, "plaintext" in formats

    def dump(record: PostRecord) -> dict:
        post = record.post
        data = {
            "id": post.id,
            "slug": post.slug,
            "title": post.title,
            "excerpt": post.excerpt or post.auto_excerpt,
        }
        if with_body:
            data["body"] = post.body
        if html:
            data["body_html"] = post.body_html
        if plaintext:
            data["plaintext"] = plain_text_document(post.body_html)
        data["status"] = post.status
        data["published_at"] = rfc3339(post.published_at)
        if with_body:
            data["unpublish_at"] = rfc3339(post.unpublish_at)
        data["created_at"] = rfc3339(post.created_at)
        data["updated_at"] = rfc3339(post.updated_at)
        if not fields or "author" in fields:
            data["author"] = author_of(post)
        if not fields or "tags" in fields:
            data["tags"] = [tag_of(tag) for tag in record.tags]
        data["comment_count"] = post.comment_count
        data["comments_open"] = post.comments_open
        data["url"] = site_url.replace("{slug}", post.slug)
        data["pingback_url"] = pingback_url
        data["webmention_url"] = webmention_url
        data["custom_excerpt"] = post.excerpt or None
        for name in CONTENT_FIELDS:
            data[name] = getattr(post, name)
        if fields:
            # marshmallow's `only` keeps the order the client asked for.
            return {name: data[name] for name in fields if name in data}
        return data

    return dump


def post_columns(staff: bool, fields: tuple[str, ...] = ()) -> PostColumns:
    """What reading.py loads for a representation: the author and tags only if shown."""
    return PostColumns(
        body=staff and not fields,
        author=not fields or "author" in fields,
        tags=not fields or "tags" in fields,
    )


def _full_author(post) -> dict:
    return {
        "id": post.author_id,
        "slug": post.author_slug,
        "name": post.author_name,
        "bio": post.author_bio,
        "website": post.author_website,
        "avatar_url": post.author_avatar_url,
    }


def _summary_author(post) -> dict:
    return {"slug": post.author_slug, "name": post.author_name}


def _full_tag(tag) -> dict:
    return {"id": tag.id, "slug": tag.slug, "name": tag.name, "description": tag.description}


def _summary_tag(tag) -> dict:
    return {"slug": tag.slug, "name": tag.name}
