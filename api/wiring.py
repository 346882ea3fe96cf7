"""How the areas hear of each other's changes: the wiring table, in plain sight.

A change travels like this: a route (or a task) opens a unit of work and calls one
service; the service changes rows and records an event of the catalogue
(api/events/catalogue.py) in the same transaction. The REACTIONS below run right then,
in that transaction; the unit of work commits the change and its events together. The
event watcher in the worker then hands the new events to the SUBSCRIPTIONS below, each
consumer in event order, once, in a unit of work with its cursor (api/events/dispatch.py);
what a consumer queues (webhook deliveries, pings) goes out from the worker after that
commit. No area imports another to be told about a change: they are told here.

This module is also the one place that knows every area: it imports their models (so
the metadata, and Alembic, see every table) and their worker tasks (so the worker knows
them by name), and `install` puts the table on the app.
"""

from __future__ import annotations

from flask import Flask

from api.auth import models as auth_models
from api.cdn import models as cdn_models
from api.cdn import purging as cdn_purging
from api.cdn import tasks as cdn_tasks
from api.comments import feedback as akismet_feedback
from api.comments import models as comment_models
from api.comments import notify
from api.comments import services as comments
from api.comments import tasks as comment_tasks
from api.compat import models as compat_models
from api.content import models as content_models
from api.content import tasks as content_tasks
from api.content.taxonomy import author_id_for_slug
from api.events import catalogue as events
from api.events import models as event_models
from api.events import tasks as event_tasks
from api.events.dispatch import Dispatcher, Reaction, Subscription
from api.feeds import tasks as feed_tasks
from api.feeds import websub
from api.linkbacks import models as linkback_models
from api.linkbacks import services as linkbacks
from api.linkbacks import tasks as linkback_tasks
from api.media import models as media_models
from api.moderation import models as moderation_models
from api.moderation import tasks as moderation_tasks
from api.privacy import tasks as privacy_tasks
from api.transfer import models as transfer_models
from api.webhooks import fanout as webhooks
from api.webhooks import models as webhook_models
from api.webhooks import tasks as webhook_tasks

# In the transaction that records the event, as it is recorded.
REACTIONS: tuple[Reaction, ...] = (
    # A deleted post's comments leave with it, keeping the status counts exact.
    Reaction(events.POST_DELETED, comments.forget_post),
    Reaction(events.PAGE_DELETED, comments.forget_post),
)

# After the commit, in the worker: each consumer sees every event it names, in order.
# One whose `needed` says no (nothing configured for it) skips the new events unread.
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    # Every event becomes a delivery to each webhook endpoint that wants it (the payload
    # is read when the delivery is sent).
    Subscription(
        "webhooks",
        None,
        webhooks.fan_out,
        reads_data=False,
        needed=webhooks.any_active_endpoint,
    ),
    # A post's links become pingback entries on our posts and pings to other sites.
    Subscription("linkbacks", linkbacks.POST_EVENTS, linkbacks.on_post_changed),
    # A change anonymous readers can see is purged from the CDN or Varnish by its keys
    # (only events with keys are read: a pending comment's has none).
    Subscription(
        "cdn",
        None,
        cdn_purging.on_event,
        where=event_models.Event.cache_keys.is_not(None),
        needed=cdn_purging.purger_configured,
    ),
    # A moderator's spam or ham decision becomes a report to the Akismet-protocol service.
    Subscription(
        "akismet",
        akismet_feedback.EVENTS,
        akismet_feedback.on_moderated,
        needed=akismet_feedback.akismet_configured,
    ),
    # An approved reply becomes a notice to its parent's confirmed subscribers.
    Subscription(
        "notifications",
        notify.EVENTS,
        notify.on_comment_event,
        needed=notify.mail_configured,
    ),
    # A change to what a feed shows pings the WebSub hub, when one is configured.
    Subscription("websub", websub.EVENTS, websub.on_feed_changed, needed=websub.hub_configured),
)

MODELS = (
    auth_models,
    cdn_models,
    comment_models,
    compat_models,
    content_models,
    event_models,
    linkback_models,
    media_models,
    moderation_models,
    transfer_models,
    webhook_models,
)
TASKS = (
    cdn_tasks,
    comment_tasks,
    content_tasks,
    event_tasks,
    feed_tasks,
    linkback_tasks,
    moderation_tasks,
    privacy_tasks,
    webhook_tasks,
)


def install(app: Flask) -> None:
    reactions: dict[str, list] = {}
    for reaction in REACTIONS:
        reactions.setdefault(reaction.event_type.name, []).append(reaction.handler)
    app.extensions["marginalia.reactions"] = reactions
    app.extensions["marginalia.dispatcher"] = Dispatcher(SUBSCRIPTIONS)
    # Lent to auth, which every area builds on: author tokens name their author by slug.
    app.extensions["marginalia.author_ids"] = author_id_for_slug
