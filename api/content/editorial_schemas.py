"""The JSON shapes of revisions, pending drafts and preview links."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.content.schemas import PostPatchSchema
from api.web.fields import PageArgsSchema, StrictBoolean, Timestamp, page_schema

WEEK = 7 * 86400


class WriterSchema(ma.Schema):
    name = ma.fields.String(
        metadata={"description": "The staff token's name, or `system: importer` and the like"}
    )
    role = ma.fields.String(metadata={"description": "admin, editor, author ... or `system`"})


def _nullable_string(description: str = "") -> ma.fields.String:
    return ma.fields.String(
        allow_none=True, metadata={"description": description} if description else {}
    )


class SnapshotSchema(ma.Schema):
    """A post's editable fields as one version had them (the body in Markdown, the author
    and tags by slug)."""

    title = ma.fields.String()
    slug = ma.fields.String()
    body = ma.fields.String(metadata={"description": "Markdown source"})
    custom_excerpt = _nullable_string()
    status = ma.fields.String()
    published_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    unpublish_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    author = _nullable_string("Author slug")
    tags = ma.fields.List(ma.fields.String(), metadata={"description": "Tag slugs"})
    comments_open = ma.fields.Boolean()
    feature_image = _nullable_string()
    feature_image_alt = _nullable_string()
    feature_image_caption = _nullable_string()
    featured = ma.fields.Boolean()
    meta_title = _nullable_string()
    meta_description = _nullable_string()
    og_image = _nullable_string()
    og_title = _nullable_string()
    og_description = _nullable_string()
    twitter_image = _nullable_string()
    twitter_title = _nullable_string()
    twitter_description = _nullable_string()
    canonical_url = _nullable_string()
    visibility = ma.fields.String()


class RevisionSummarySchema(ma.Schema):
    """One version of a post: who wrote it, when, and which fields changed."""

    id = ma.fields.Integer(
        attribute="number", metadata={"description": "The post's version number, from 1"}
    )
    created_at = Timestamp()
    author = ma.fields.Method("get_author", metadata={"description": "Who wrote it"})
    summary = ma.fields.String(metadata={"description": "What changed, in words"})
    changed = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "The fields that differ from the version before"},
    )
    published = StrictBoolean(metadata={"description": "Whether the post was public in it"})

    def get_author(self, revision) -> dict:
        return {"name": revision.author_name, "role": revision.author_role}


class RevisionSchema(RevisionSummarySchema):
    """One version of a post with its whole snapshot."""

    snapshot = ma.fields.Nested(SnapshotSchema)


RevisionPage = page_schema(RevisionSummarySchema, "RevisionPage")


class RevisionListArgs(PageArgsSchema):
    pass


class DiffArgs(ma.Schema):
    against = ma.fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The revision to compare with; default: the one before"},
    )


class FieldChangeSchema(ma.Schema):
    field = ma.fields.String()
    # `from` is a Python keyword, so these attributes are named by their JSON keys.
    old = ma.fields.Raw(
        attribute="from",
        data_key="from",
        allow_none=True,
        metadata={"description": "Its value in `against`"},
    )
    new = ma.fields.Raw(
        attribute="to",
        data_key="to",
        allow_none=True,
        metadata={"description": "Its value in this revision"},
    )


class DiffSchema(ma.Schema):
    revision = ma.fields.Integer()
    against = ma.fields.Integer(allow_none=True)
    body = ma.fields.String(metadata={"description": "A unified diff of the Markdown body"})
    fields = ma.fields.List(
        ma.fields.Nested(FieldChangeSchema),
        metadata={"description": "Every other field that differs, with both values"},
    )


class DraftWriteSchema(PostPatchSchema):
    """Pending changes to a published post: the fields of a PATCH but its status and
    dates, and when the worker should publish them."""

    class Meta:
        partial = True
        exclude = ("status", "published_at", "unpublish_at")

    publish_at = Timestamp(
        allow_none=True,
        metadata={"description": "When the worker publishes the draft (null: staff do)"},
    )


class DraftSchema(ma.Schema):
    """A published post's pending draft; readers see none of it until it is published."""

    post = ma.fields.String(metadata={"description": "The post's slug"})
    changes = ma.fields.Dict(
        metadata={"description": "The fields the draft changes, as sent (PATCH's shape)"}
    )
    publish_at = Timestamp(allow_none=True)
    saved_at = Timestamp()
    saved_by = ma.fields.Nested(WriterSchema)


class PreviewLinkWriteSchema(ma.Schema):
    expires_in = ma.fields.Integer(
        load_default=86400,
        validate=validate.Range(min=60, max=WEEK),
        metadata={"description": "Seconds the link works, at most 7 days; default one day"},
    )
    revision = ma.fields.Integer(
        validate=validate.Range(min=1),
        metadata={
            "description": "Show this revision; default: the pending draft if there is one, "
            "else the post as it is (its draft)"
        },
    )


class PreviewLinkSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "The link (only in the answer that made it)"})
    revision = ma.fields.Integer(allow_none=True)
    created_at = Timestamp()
    created_by = ma.fields.String()
    expires_at = Timestamp()


class PreviewSchema(SnapshotSchema):
    """What a preview link shows: one version of a post, rendered."""

    id = ma.fields.Integer()
    type = ma.fields.String(metadata={"description": "post or page"})
    version = ma.fields.String(
        metadata={"description": "`current`, `pending draft` or `revision <n>`"}
    )
    body_html = ma.fields.String(metadata={"description": "Rendered, sanitised HTML"})
    expires_at = Timestamp(metadata={"description": "When the link stops working"})
