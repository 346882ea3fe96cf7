"""How posts, authors and tags are shown: one cached schema per representation, and its
dump compiled for the hot reads."""

from __future__ import annotations

from functools import lru_cache

import marshmallow as ma

from api.content.reading import PostColumns
from api.content.schemas import AuthorSchema, PostSchema, TagSchema
from api.web.dumpers import Dumper, compile_dumper

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


def post_dumper(
    *,
    staff: bool,
    full_author: bool,
    full_tags: bool,
    fields: tuple[str, ...] = (),
    formats: tuple[str, ...] = ("html",),
) -> Dumper:
    """`post_schema(...).dump` for a Post or a record of api/content/reading.py.

    The whole representation is compiled once per shape (api/web/dumpers.py; at most 16
    of them), and a sparse fieldset is picked from it in the order `fields` names them,
    as marshmallow's `only` does: compiling per fieldset would cost a client's every new
    combination of fields ~20 ms.
    """
    whole = _whole_post_dumper(
        staff and not fields,  # `fields` never names body, so its rows do not have it
        full_author,
        full_tags,
        "html" in formats,
        "plaintext" in formats,
    )
    if not fields:
        return whole

    def sparse(post) -> dict:
        data = whole(post)
        return {name: data[name] for name in fields if name in data}

    return sparse


@lru_cache(maxsize=16)
def _whole_post_dumper(
    staff: bool, full_author: bool, full_tags: bool, html: bool, plaintext: bool
) -> Dumper:
    formats = ("html",) * html + ("plaintext",) * plaintext
    schema = post_schema(staff=staff, full_author=full_author, full_tags=full_tags, formats=formats)
    return compile_dumper(schema)


def post_columns(staff: bool, fields: tuple[str, ...] = ()) -> PostColumns:
    """What reading.py loads for a representation: the author and tags only if shown."""
    return PostColumns(
        body=staff and not fields,
        author=not fields or "author" in fields,
        tags=not fields or "tags" in fields,
    )
