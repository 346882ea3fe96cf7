import marshmallow as ma
from marshmallow import validate

from api.linkbacks.urls import MAX_URL_LENGTH
from api.web.fields import Timestamp, page_schema


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


class OutgoingLinkbackSchema(ma.Schema):
    """A site one of our posts links, and what telling it gave."""

    target_url = ma.fields.String()
    status = ma.fields.String(
        metadata={
            "description": "`pending` (waiting, or waiting to retry), `sent`, `failed` "
            "(refused or given up), `no_endpoint` (the page takes no linkbacks), `removed` "
            "(the post stopped linking it before it was sent)"
        }
    )
    protocol = ma.fields.String(
        allow_none=True, metadata={"description": "`webmention` or `pingback`"}
    )
    endpoint = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer()
    last_error = ma.fields.String(allow_none=True)
    next_attempt_at = Timestamp(allow_none=True)
    sent_at = Timestamp(allow_none=True)
    updated_at = Timestamp()


OutgoingLinkbackPage = page_schema(OutgoingLinkbackSchema, "OutgoingLinkbackPage")
