from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.events.catalogue import SUBSCRIBABLE as SUBSCRIBABLE_EVENTS
from api.web.fields import PageArgsSchema, Timestamp, page_schema
from api.webhooks.models import DELIVERY_STATUSES

SUBSCRIBABLE = validate.OneOf(
    SUBSCRIBABLE_EVENTS,
    error="An event type (`comment.approved`), an area (`comment.*`) or `*`; see the enum.",
)
EVENTS_FIELD = {
    "validate": validate.Length(min=1, max=50),
    "metadata": {
        "description": (
            "Event types or patterns to receive: `post.published`, `comment.*`, or `*` "
            "for everything"
        )
    },
}


def _event_list(**kwargs):
    return ma.fields.List(
        ma.fields.String(validate=SUBSCRIBABLE),
        attribute="event_types",
        data_key="events",
        **kwargs,
    )


URL = [validate.URL(schemes={"http", "https"}, require_tld=False), validate.Length(max=2000)]
ACTIVE = "false pauses deliveries; true re-enables a disabled endpoint"


class EndpointWriteSchema(ma.Schema):
    """A webhook endpoint to register."""

    url = ma.fields.String(
        required=True,
        validate=URL,
        metadata={"description": "Where deliveries are POSTed (http or https)"},
    )
    events = _event_list(required=True, **EVENTS_FIELD)
    description = ma.fields.String(validate=validate.Length(max=500))
    active = ma.fields.Boolean(metadata={"description": ACTIVE})


class EndpointSchema(ma.Schema):
    """A webhook endpoint (its secret is shown only when created or rotated)."""

    id = ma.fields.Integer(dump_only=True)
    url = ma.fields.String(metadata={"description": "Where deliveries are POSTed"})
    events = _event_list(**EVENTS_FIELD)
    description = ma.fields.String()
    active = ma.fields.Boolean(metadata={"description": ACTIVE})
    disabled_reason = ma.fields.String(dump_only=True, allow_none=True)
    disabled_at = Timestamp(dump_only=True, allow_none=True)
    failing_since = Timestamp(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Start of the current run of failed attempts, if any"},
    )
    previous_secret_expires_at = Timestamp(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Until then deliveries also carry the old secret's signature"},
    )
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class EndpointPatchSchema(EndpointWriteSchema):
    url = ma.fields.String(validate=URL)
    events = _event_list(**EVENTS_FIELD)


class EndpointWithSecretSchema(EndpointSchema):
    secret = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "The signing secret (`whsec_…`), shown only in this response; "
            "verify deliveries with any Standard Webhooks library"
        },
    )


class AttemptSchema(ma.Schema):
    """One HTTP request of a delivery."""

    number = ma.fields.Integer()
    attempted_at = Timestamp()
    status_code = ma.fields.Integer(allow_none=True, metadata={"description": "null: no answer"})
    duration_ms = ma.fields.Integer()
    response_excerpt = ma.fields.String(metadata={"description": "First 2 KB of the body"})
    error = ma.fields.String(allow_none=True)


class DeliverySchema(ma.Schema):
    """One event for one endpoint, with every attempt made so far."""

    id = ma.fields.Integer()
    endpoint_id = ma.fields.Integer()
    event_id = ma.fields.Integer(metadata={"description": "Also the `webhook-id` header"})
    event_type = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    attempt_count = ma.fields.Integer()
    next_attempt_at = Timestamp(allow_none=True)
    last_attempt_at = Timestamp(allow_none=True)
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)
    attempts = ma.fields.List(ma.fields.Nested(AttemptSchema))


class DeliveryListArgs(PageArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class ResendFailedSchema(ma.Schema):
    since = Timestamp(
        required=True,
        metadata={"description": "Resend failed deliveries of events recorded since then"},
    )


class ResentSchema(ma.Schema):
    resent = ma.fields.Integer(metadata={"description": "How many deliveries were requeued"})


EndpointPage = page_schema(EndpointSchema, "WebhookEndpointPage")
DeliveryPage = page_schema(DeliverySchema, "WebhookDeliveryPage")
