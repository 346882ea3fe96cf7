"""The purge log over HTTP."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.cdn.models import PURGE_STATUSES
from api.web.fields import PageArgsSchema, Timestamp, page_schema


class PurgeSchema(ma.Schema):
    """One event's purge from the CDN or Varnish, retried until it succeeds."""

    id = ma.fields.Integer()
    event_id = ma.fields.Integer()
    event_type = ma.fields.String()
    keys = ma.fields.List(
        ma.fields.String(), attribute="key_list", metadata={"description": "Surrogate keys"}
    )
    status = ma.fields.String(validate=validate.OneOf(PURGE_STATUSES))
    attempt_count = ma.fields.Integer()
    next_attempt_at = Timestamp(allow_none=True)
    last_attempt_at = Timestamp(allow_none=True)
    last_result = ma.fields.String(
        allow_none=True, metadata={"description": "What the targets answered, in one line"}
    )
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)


class PurgeListArgs(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(PURGE_STATUSES))


PurgePage = page_schema(PurgeSchema, "CdnPurgePage")
