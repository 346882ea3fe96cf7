import marshmallow as ma
from marshmallow import validate

from api.linkbacks.urls import MAX_URL_LENGTH


class WebmentionForm(ma.Schema):
    """A Webmention (W3C): form-encoded `source` and `target`."""

    class Meta:
        unknown = ma.EXCLUDE  # senders may add fields of extensions (vouch, ...)

    # A 400's detail lists the messages without field names, so the messages name them.
    source = ma.fields.String(
        required=True,
        error_messages={"required": "source is required.", "invalid": "source must be text."},
        validate=validate.Length(
            min=1, max=MAX_URL_LENGTH, error="source must be 1 to {max} characters."
        ),
        metadata={"description": "The page that links the target"},
    )
    target = ma.fields.String(
        required=True,
        error_messages={"required": "target is required.", "invalid": "target must be text."},
        validate=validate.Length(
            min=1, max=MAX_URL_LENGTH, error="target must be 1 to {max} characters."
        ),
        metadata={"description": "The public URL of one of our posts"},
    )


class WebmentionAcceptedSchema(ma.Schema):
    status = ma.fields.String(metadata={"description": "`queued`: the source will be checked"})
    detail = ma.fields.String()
