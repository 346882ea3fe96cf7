from __future__ import annotations

import re
import unicodedata

import marshmallow as ma
from flask import current_app
from marshmallow import validate

from api.content.models import POST_STATUSES, VISIBILITIES
from api.content.reading import SORTS
from api.rendering import plain_text_document
from api.web.conventions import ABSENT
from api.web.fields import CommaList, PageArgsSchema, StrictBoolean, Timestamp, page_schema

_SLUG = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,198}[^\W_])?$")
# Scripts written together in one word: Japanese mixes kanji and kana, Korean hangul
# and hanja.
_SCRIPT_FAMILIES = {
    "HIRAGANA": "CJK",
    "KATAKANA": "CJK",
    "KATAKANA-HIRAGANA": "CJK",
    "HANGUL": "CJK",
}


def _script(char: str) -> str | None:
    """The script of a letter (the first word of its Unicode name); None for digits
    and combining marks, which go with any script."""
    if not char.isalpha() or unicodedata.category(char).startswith("M"):
        return None
    script = unicodedata.name(char, "UNKNOWN").split(" ")[0]
    return _SCRIPT_FAMILIES.get(script, script)


def mixed_script_word(slug: str) -> str | None:
    """The first hyphen-separated word of `slug` that mixes scripts (a Cyrillic e, U+0435,
    in a Latin word looks like a Latin e), or None."""
    for word in slug.split("-"):
        if len({script for char in word if (script := _script(char))}) > 1:
            return word
    return None


def SLUG(value: str) -> None:
    """Letters of any script, digits and inner hyphens, each word in one script. Checked
    here, not exported as an OpenAPI `pattern`: that regex dialect's \\w knows only
    ASCII."""
    if not _SLUG.match(value):
        raise ma.ValidationError("Lower-case letters, digits and hyphens; 1-200 characters.")
    if word := mixed_script_word(value):
        raise ma.ValidationError(
            f"The word {word!r} mixes scripts (letters that look alike but differ); "
            "write each word in one script."
        )


HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


def _lowercase(value: str) -> None:
    if value != value.lower():
        raise ma.ValidationError("Slugs are lower-case.")


MAX_SLUGS = 20


class SlugSet(ma.fields.String):
    """Several slugs in one query parameter: `a,b` (any) or, where allowed, `a+b` (all).
    A `+` arrives as a space unless the client encoded it (%2B): both mean all."""

    def __init__(self, *, all_allowed: bool, **kwargs):
        self.all_allowed = all_allowed
        super().__init__(validate=validate.Length(min=1, max=MAX_SLUGS * 201), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[tuple[str, ...], bool]:
        text = super()._deserialize(value, attr, data, **kwargs).replace(" ", "+")
        every = "+" in text
        if every and "," in text:
            raise ma.ValidationError("Use `,` (any) or `+` (all), not both.")
        if every and not self.all_allowed:
            raise ma.ValidationError("Each has one author: give several with `,` (any).")
        slugs = tuple(dict.fromkeys(part for part in text.split("+" if every else ",")))
        if not all(slugs) or len(slugs) > MAX_SLUGS:
            raise ma.ValidationError(f"1 to {MAX_SLUGS} slugs, none empty.")
        for slug in slugs:
            if len(slug) > 200:
                raise ma.ValidationError("A slug has at most 200 characters.")
        return slugs, every


STAFF_ONLY = "unless the caller has a staff token"


class AuthorSchema(ma.Schema):
    """An author. `email` is shown to staff only."""

    id = ma.fields.Integer()
    slug = ma.fields.String()
    name = ma.fields.String()
    bio = ma.fields.String()
    email = ma.fields.String(allow_none=True, metadata={"format": "email", ABSENT: STAFF_ONLY})
    website = ma.fields.String(allow_none=True)
    avatar_url = ma.fields.String(allow_none=True)
    post_count = ma.fields.Integer(metadata={"description": "Published posts"})
    created_at = Timestamp()
    updated_at = Timestamp()


class AuthorWriteSchema(ma.Schema):
    """A new author."""

    slug = ma.fields.String(
        validate=[SLUG, _lowercase], metadata={"description": "Made from the name if not given"}
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    bio = ma.fields.String(validate=validate.Length(max=5000))
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=320))
    website = ma.fields.String(allow_none=True, validate=[HTTP_URL, validate.Length(max=2000)])
    avatar_url = ma.fields.String(allow_none=True, validate=[HTTP_URL, validate.Length(max=2000)])


class TagSchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    post_count = ma.fields.Integer(metadata={"description": "Published posts"})
    created_at = Timestamp()
    updated_at = Timestamp()


class TagWriteSchema(ma.Schema):
    """A new tag."""

    slug = ma.fields.String(
        validate=[SLUG, _lowercase], metadata={"description": "Made from the name if not given"}
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = ma.fields.String(validate=validate.Length(max=5000))


_WHOLE = "unless the whole author is embedded (`include=author`, or a single post)"


class EmbeddedAuthorSchema(ma.Schema):
    """A post's author: `slug` and `name`, or the whole author (no email, no counts)."""

    id = ma.fields.Integer(metadata={ABSENT: _WHOLE})
    slug = ma.fields.String()
    name = ma.fields.String()
    bio = ma.fields.String(metadata={ABSENT: _WHOLE})
    website = ma.fields.String(allow_none=True, metadata={ABSENT: _WHOLE})
    avatar_url = ma.fields.String(allow_none=True, metadata={ABSENT: _WHOLE})


_WHOLE_TAGS = "unless whole tags are embedded (`include=tags`, or a single post)"


class EmbeddedTagSchema(ma.Schema):
    """One of a post's tags: `slug` and `name`, or the whole tag (no counts)."""

    id = ma.fields.Integer(metadata={ABSENT: _WHOLE_TAGS})
    slug = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String(metadata={ABSENT: _WHOLE_TAGS})


SPARSE = "when `fields` leaves it out"


class PostSchema(ma.Schema):
    """A post as readers see it (`body` in Markdown is added for staff). With `fields`,
    only the fields named come back, and always `id` and `slug`."""

    id = ma.fields.Integer(dump_only=True)
    slug = ma.fields.String()
    title = ma.fields.String(metadata={ABSENT: SPARSE})
    excerpt = ma.fields.Method("get_excerpt", metadata={ABSENT: SPARSE})
    body = ma.fields.String(
        metadata={
            "description": "Markdown source",
            ABSENT: f"{STAFF_ONLY}, and when `fields` is given",
        }
    )
    body_html = ma.fields.String(
        metadata={
            "description": "Rendered, sanitised HTML (with formats=html, the default)",
            ABSENT: "when `formats` leaves out html, or `fields` leaves it out",
        }
    )
    plaintext = ma.fields.Method(
        "get_plaintext",
        metadata={
            "description": "The body as plain text (with formats=plaintext)",
            ABSENT: "unless `formats` names plaintext",
        },
    )
    status = ma.fields.String(validate=validate.OneOf(POST_STATUSES), metadata={ABSENT: SPARSE})
    published_at = Timestamp(allow_none=True, metadata={ABSENT: SPARSE})
    unpublish_at = Timestamp(
        allow_none=True,
        metadata={
            "description": "When the worker takes it back to draft (null: never)",
            ABSENT: f"{STAFF_ONLY}, and when `fields` is given",
        },
    )
    created_at = Timestamp(metadata={ABSENT: SPARSE})
    updated_at = Timestamp(metadata={ABSENT: SPARSE})
    author = ma.fields.Nested(
        EmbeddedAuthorSchema,
        metadata={
            "description": "slug and name; the whole author with include=author",
            ABSENT: SPARSE,
        },
    )
    tags = ma.fields.List(
        ma.fields.Nested(EmbeddedTagSchema),
        metadata={
            "description": "slug and name of each; whole tags with include=tags",
            ABSENT: SPARSE,
        },
    )
    comment_count = ma.fields.Integer(metadata={"description": "Approved comments", ABSENT: SPARSE})
    comments_open = StrictBoolean(metadata={ABSENT: SPARSE})
    url = ma.fields.Method(
        "get_url", metadata={"description": "Public URL of the post", ABSENT: SPARSE}
    )
    pingback_url = ma.fields.Method("get_pingback_url", metadata={ABSENT: SPARSE})
    webmention_url = ma.fields.Method("get_webmention_url", metadata={ABSENT: SPARSE})
    # Ghost's content fields.
    custom_excerpt = ma.fields.Method(
        "get_custom_excerpt",
        metadata={
            "description": "The excerpt as written (null: `excerpt` is generated)",
            ABSENT: SPARSE,
        },
    )
    feature_image = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    feature_image_alt = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    feature_image_caption = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    featured = StrictBoolean(metadata={ABSENT: SPARSE})
    meta_title = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    meta_description = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    og_image = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    og_title = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    og_description = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    twitter_image = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    twitter_title = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    twitter_description = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    canonical_url = ma.fields.String(allow_none=True, metadata={ABSENT: SPARSE})
    reading_time = ma.fields.Integer(
        metadata={
            "description": "Minutes to read (Ghost's count: 275 words a minute, images)",
            ABSENT: SPARSE,
        }
    )
    visibility = ma.fields.String(validate=validate.OneOf(VISIBILITIES), metadata={ABSENT: SPARSE})

    def get_excerpt(self, post) -> str:
        return post.excerpt or post.auto_excerpt

    def get_custom_excerpt(self, post) -> str | None:
        return post.excerpt or None

    def get_plaintext(self, post) -> str:
        return plain_text_document(post.body_html)

    def get_url(self, post) -> str:
        return current_app.config["MARGINALIA"].site_url.replace("{slug}", post.slug)

    def get_pingback_url(self, post) -> str:
        return current_app.config["MARGINALIA"].api_url.rstrip("/") + "/xmlrpc"

    def get_webmention_url(self, post) -> str:
        return current_app.config["MARGINALIA"].api_url.rstrip("/") + "/v1/webmention"


STAFF_FIELDS = ("body", "unpublish_at")
POST_FIELDS = tuple(name for name in PostSchema._declared_fields if name not in STAFF_FIELDS)


def _url_field(description: str = "An http(s) URL") -> ma.fields.String:
    return ma.fields.String(
        allow_none=True,
        validate=[HTTP_URL, validate.Length(max=2000)],
        metadata={"description": description},
    )


def _text_field(longest: int) -> ma.fields.String:
    return ma.fields.String(allow_none=True, validate=validate.Length(max=longest))


class PostWriteSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    body = ma.fields.String(load_default="", validate=validate.Length(max=200_000))
    excerpt = ma.fields.String(validate=validate.Length(max=2000))
    slug = ma.fields.String(validate=[SLUG, _lowercase])
    status = ma.fields.String(load_default="draft", validate=validate.OneOf(POST_STATUSES))
    published_at = Timestamp(allow_none=True)
    unpublish_at = Timestamp(
        allow_none=True,
        metadata={"description": "When the worker unpublishes it, once (null: never)"},
    )
    author = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Author slug; defaults to the token's author for author tokens"},
    )
    tags = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=50),
        metadata={
            "description": "Tag slugs or names; new names create tags (admins and editors "
            "only: for an author an unknown tag is a 422)"
        },
    )
    comments_open = StrictBoolean(load_default=True)
    custom_excerpt = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Ghost's name for `excerpt` (give one of the two)"},
    )
    feature_image = _url_field("Any http(s) URL, or the `url` of one of our media")
    feature_image_alt = _text_field(191)
    feature_image_caption = _text_field(65535)
    featured = StrictBoolean()
    meta_title = _text_field(300)
    meta_description = _text_field(500)
    og_image = _url_field()
    og_title = _text_field(300)
    og_description = _text_field(500)
    twitter_image = _url_field()
    twitter_title = _text_field(300)
    twitter_description = _text_field(500)
    canonical_url = _url_field()
    visibility = ma.fields.String(
        validate=validate.OneOf(VISIBILITIES),
        metadata={"description": "Who may read it once published: `public` (the only one)"},
    )


class PostPatchSchema(PostWriteSchema):
    class Meta:
        partial = True

    title = ma.fields.String(validate=validate.Length(min=1, max=500))
    body = ma.fields.String(validate=validate.Length(max=200_000))
    status = ma.fields.String(validate=validate.OneOf(POST_STATUSES))
    comments_open = StrictBoolean()


class AuthorPatchSchema(AuthorWriteSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


class TagPatchSchema(TagWriteSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


SPARSE_FIELDS = (
    "Only these fields, comma-separated (a sparse fieldset); `id` and `slug` always come "
    f"back. Any of: {', '.join(POST_FIELDS)}"
)


def _with_identity(self, data: dict, **kwargs) -> dict:
    """A sparse post still names itself: `fields` always includes `id` and `slug`."""
    if data["fields"]:
        data["fields"] = tuple(dict.fromkeys(("id", "slug", *data["fields"])))
    return data


class PageWriteSchema(PostWriteSchema):
    comments_open = StrictBoolean(
        load_default=False, metadata={"description": "Pages take no comments unless opened"}
    )


class PagePatchSchema(PostPatchSchema):
    pass


class PageSchema(PostSchema):
    """A static page: a post's shape, outside the post list and feeds."""


FORMATS = ("html", "plaintext")


class PostListArgs(PageArgsSchema):
    tag = SlugSet(
        all_allowed=True,
        metadata={"description": "Tag slugs: `a,b` any of them, `a+b` all of them"},
    )
    author = SlugSet(all_allowed=False, metadata={"description": "Author slugs: `a,b` any of them"})
    featured = ma.fields.Boolean(
        truthy={"true"}, falsy={"false"}, metadata={"description": "Only (un)featured ones"}
    )
    sort = ma.fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": "Order, `-` for descending; default newest first (-published_at)"},
    )
    formats = CommaList(
        FORMATS,
        load_default=lambda: ("html",),
        metadata={"description": "html (the default), plaintext, or html,plaintext"},
    )
    q = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Full-text search over title and body"},
    )
    published_after = Timestamp()
    published_before = Timestamp()
    include = CommaList(("author", "tags"))
    fields = CommaList(POST_FIELDS, metadata={"description": SPARSE_FIELDS})
    status = ma.fields.String(
        validate=validate.OneOf((*POST_STATUSES, "any")),
        metadata={"description": "Staff only: draft, scheduled, published or any"},
    )

    _always_named = ma.post_load(_with_identity)


class PostReadArgs(ma.Schema):
    fields = CommaList(POST_FIELDS, metadata={"description": SPARSE_FIELDS})
    formats = CommaList(
        FORMATS,
        load_default=lambda: ("html",),
        metadata={"description": "html (the default), plaintext, or html,plaintext"},
    )
    _always_named = ma.post_load(_with_identity)


PostPage = page_schema(PostSchema, "PostPage")
PagePage = page_schema(PageSchema, "PagePage")
AuthorPage = page_schema(AuthorSchema, "AuthorPage")
TagPage = page_schema(TagSchema, "TagPage")
