from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from api.web.fields import PageArgsSchema, Timestamp, page_schema


class MediaSizeSchema(ma.Schema):
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    url = ma.fields.String()


class MediaSchema(ma.Schema):
    """An uploaded image: the full image (metadata stripped) and its smaller copies."""

    id = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "The full image; never changes content"})
    media_type = ma.fields.String(metadata={"description": "image/jpeg, image/png or image/webp"})
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    bytes = ma.fields.Integer(metadata={"description": "Size of the full image as stored"})
    sizes = ma.fields.List(
        ma.fields.Nested(MediaSizeSchema),
        metadata={"description": "Every stored width, smallest first, the full image last"},
    )
    srcset = ma.fields.String(metadata={"description": "The sizes as an HTML srcset value"})
    created_at = Timestamp()


class MediaUploadSchema(ma.Schema):
    file = Upload(
        required=True,
        metadata={"description": "A JPEG, PNG or WebP image (the type is read from the bytes)"},
    )


class MediaListArgs(PageArgsSchema):
    pass


MediaPage = page_schema(MediaSchema, "MediaPage")
