from __future__ import annotations

import re

import marshmallow as ma
from flask import current_app
from marshmallow import validate

from api.content.models import POST_STATUSES
from api.web.fields import CommaList, PageArgsSchema, StrictBoolean, Timestamp, page_schema

_SLUG = re.compile(r"^[^\W_](?:[\w-]{0,198}[^\W_])?$")


def SLUG(value: str) -> None:
    """Letters of any script, digits and inner hyphens. Checked here, not exported as an
    OpenAPI `pattern`: that regex dialect's \\w knows only ASCII."""
    if not _SLUG.match(value):
        raise ma.ValidationError("Lower-case letters, digits and hyphens; 1-200 characters.")


HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


def _lowercase(value: str) -> None:
    if value != value.lower():
        raise ma.ValidationError("Slugs are lower-case.")


class AuthorSchema(ma.Schema):
    """An author. `email` is shown to staff only."""

    id = ma.fields.Integer(dump_only=True)
    slug = ma.fields.String(validate=[SLUG, _lowercase])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    bio = ma.fields.String(validate=validate.Length(max=5000))
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=320))
    website = ma.fields.String(allow_none=True, validate=[HTTP_URL, validate.Length(max=2000)])
    avatar_url = ma.fields.String(allow_none=True, validate=[HTTP_URL, validate.Length(max=2000)])
    post_count = ma.fields.Integer(dump_only=True, metadata={"description": "Published posts"})
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class TagSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    slug = ma.fields.String(validate=[SLUG, _lowercase])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = ma.fields.String(validate=validate.Length(max=5000))
    post_count = ma.fields.Integer(dump_only=True, metadata={"description": "Published posts"})
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class PostSchema(ma.Schema):
    """A post as readers see it (`body` in Markdown is added for staff)."""

    id = ma.fields.Integer(dump_only=True)
    slug = ma.fields.String()
    title = ma.fields.String()
    excerpt = ma.fields.Method("get_excerpt")
    body = ma.fields.String(metadata={"description": "Markdown source (staff only)"})
    body_html = ma.fields.String(metadata={"description": "Rendered, sanitised HTML"})
    status = ma.fields.String(validate=validate.OneOf(POST_STATUSES))
    published_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    author = ma.fields.Nested(
        AuthorSchema,
        metadata={"description": "slug and name; the whole author with include=author"},
    )
    tags = ma.fields.List(
        ma.fields.Nested(TagSchema),
        metadata={"description": "slug and name of each; whole tags with include=tags"},
    )
    comment_count = ma.fields.Integer(metadata={"description": "Approved comments"})
    comments_open = StrictBoolean()
    url = ma.fields.Method("get_url", metadata={"description": "Public URL of the post"})
    pingback_url = ma.fields.Method("get_pingback_url")
    webmention_url = ma.fields.Method("get_webmention_url")

    def get_excerpt(self, post) -> str:
        return post.excerpt or post.auto_excerpt

    def get_url(self, post) -> str:
        return current_app.config["MARGINALIA"].site_url.replace("{slug}", post.slug)

    def get_pingback_url(self, post) -> str:
        return current_app.config["MARGINALIA"].api_url.rstrip("/") + "/xmlrpc"

    def get_webmention_url(self, post) -> str:
        return current_app.config["MARGINALIA"].api_url.rstrip("/") + "/v1/webmention"


POST_FIELDS = tuple(name for name in PostSchema._declared_fields if name != "body")
SUMMARY = ("slug", "name")


class PostWriteSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    body = ma.fields.String(load_default="", validate=validate.Length(max=200_000))
    excerpt = ma.fields.String(validate=validate.Length(max=2000))
    slug = ma.fields.String(validate=[SLUG, _lowercase])
    status = ma.fields.String(load_default="draft", validate=validate.OneOf(POST_STATUSES))
    published_at = Timestamp(allow_none=True)
    author = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Author slug; defaults to the token's author for author tokens"},
    )
    tags = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=50),
        metadata={"description": "Tag slugs or names; new names create tags"},
    )
    comments_open = StrictBoolean(load_default=True)


class PostPatchSchema(PostWriteSchema):
    class Meta:
        partial = True

    title = ma.fields.String(validate=validate.Length(min=1, max=500))
    body = ma.fields.String(validate=validate.Length(max=200_000))
    status = ma.fields.String(validate=validate.OneOf(POST_STATUSES))
    comments_open = StrictBoolean()


class AuthorPatchSchema(AuthorSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


class TagPatchSchema(TagSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


class PostListArgs(PageArgsSchema):
    tag = ma.fields.String(validate=validate.Length(max=200), metadata={"description": "Tag slug"})
    author = ma.fields.String(
        validate=validate.Length(max=200), metadata={"description": "Author slug"}
    )
    q = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Full-text search over title and body"},
    )
    published_after = Timestamp()
    published_before = Timestamp()
    include = CommaList(("author", "tags"), load_default=())
    fields = CommaList(
        POST_FIELDS,
        load_default=(),
        metadata={"description": "Only these fields, comma-separated (sparse fieldset)"},
    )
    status = ma.fields.String(
        validate=validate.OneOf((*POST_STATUSES, "any")),
        metadata={"description": "Staff only: draft, scheduled, published or any"},
    )


class PostReadArgs(ma.Schema):
    fields = CommaList(POST_FIELDS, load_default=())


PostPage = page_schema(PostSchema, "PostPage")
AuthorPage = page_schema(AuthorSchema, "AuthorPage")
TagPage = page_schema(TagSchema, "TagPage")
