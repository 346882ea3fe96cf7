import marshmallow as ma
from marshmallow import validate

from api.web.fields import MAX_LIMIT, Timestamp, page_schema, rfc3339


class EventSchema(ma.Schema):
    """An event as webhooks deliver it and the feed lists it."""

    id = ma.fields.Integer()
    type = ma.fields.String()
    timestamp = Timestamp(attribute="occurred_at")
    data = ma.fields.Dict()


def feed_item(event) -> dict:
    """EventSchema's dump written by hand for the feed's 100 events a page (an entity or a
    row of services.FEED_COLUMNS); tests/integration/test_fast_views.py holds them equal."""
    return {
        "id": event.id,
        "type": event.type,
        "timestamp": rfc3339(event.occurred_at),
        "data": None if event.data is None else dict(event.data),
    }


class EventFeedArgs(ma.Schema):
    after = ma.fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**62),
        metadata={"description": "Return events with a larger id"},
    )
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_LIMIT))
    types = ma.fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "Comma-separated event types or patterns (`comment.*`)"},
    )


EventPage = page_schema(EventSchema, "EventPage", keyset=False)  # paged by `after`
