"""Every task of every area, imported so the worker knows them."""

from api.content import tasks as content_tasks
from api.events import tasks as event_tasks
from api.linkbacks import tasks as linkback_tasks
from api.moderation import tasks as comment_tasks
from api.webhooks import tasks as webhook_tasks

__all__ = ["comment_tasks", "content_tasks", "event_tasks", "linkback_tasks", "webhook_tasks"]
