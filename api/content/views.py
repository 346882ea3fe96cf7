"""How posts, authors and tags are shown: one cached schema per representation."""

from __future__ import annotations

from functools import lru_cache

import marshmallow as ma

from api.content.schemas import AuthorSchema, PostSchema, TagSchema

AUTHOR_EMBEDDED = ("id", "slug", "name", "bio", "website", "avatar_url")
TAG_EMBEDDED = ("id", "slug", "name", "description")
SUMMARY = ("slug", "name")


@lru_cache(maxsize=256)
def post_schema(
    *, staff: bool, full_author: bool, full_tags: bool, fields: tuple[str, ...] = ()
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
    return view(only=tuple(fields) or None, exclude=() if staff else ("body",))


def single_post_schema(staff: bool, fields: tuple[str, ...] = ()) -> ma.Schema:
    """A single post embeds its whole author and tags."""
    return post_schema(staff=staff, full_author=True, full_tags=True, fields=fields)


@lru_cache(maxsize=4)
def author_schema(*, staff: bool, many: bool = False) -> ma.Schema:
    return AuthorSchema(many=many, exclude=() if staff else ("email",))


@lru_cache(maxsize=2)
def tag_schema(*, many: bool = False) -> ma.Schema:
    return TagSchema(many=many)
