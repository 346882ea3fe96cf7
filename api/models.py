"""Every area's models, imported together so the metadata (and Alembic) sees them all."""

from api.auth.models import ApiToken
from api.comments.models import Comment, CommentStatusCount
from api.content.models import Author, Post, Tag
from api.events.models import Event, EventCursor
from api.linkbacks.models import InternalLink, OutgoingLinkback, PreviousSlug, ReceivedWebmention
from api.moderation.models import ModerationLogEntry
from api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "Author",
    "Comment",
    "CommentStatusCount",
    "Event",
    "EventCursor",
    "InternalLink",
    "ModerationLogEntry",
    "OutgoingLinkback",
    "Post",
    "PreviousSlug",
    "ReceivedWebmention",
    "Tag",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
