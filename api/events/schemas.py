import marshmallow as ma
from marshmallow import validate

from api.web.dumpers import compile_dumper
from api.web.fields import MAX_LIMIT, Timestamp, page_schema


class EventSchema(ma.Schema):
    """An event as webhooks deliver it and the feed lists it."""

    id = ma.fields.Integer()
    type = ma.fields.String()
    timestamp = Timestamp(attribute="occurred_at")
    data = ma.fields.Dict()


# An event of the feed: an entity or a row of feed.FEED_COLUMNS.
feed_item = compile_dumper(EventSchema())


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
