"""The linkbacks consumer of the event outbox: posts published, edited, renamed, gone."""

from api.events.dispatch import consumer
from api.linkbacks.services import POST_EVENTS, handle_post_event


@consumer("linkbacks", POST_EVENTS)
def on_post_event(event) -> None:
    handle_post_event(event.type, event.data)
