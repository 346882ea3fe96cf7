"""WebSub (W3C): when `websub_hub_url` is set, a change to what a feed shows pings the hub
with `hub.mode=publish` and the feed's URL (its `rel="self"`), from the worker.

The `websub` consumer (api/wiring.py) works out which feeds an event changed (a post's:
the site's posts feeds, its tags' and its author's; an approved comment's: the site's
comments feeds and its post's) and, after its commit, queues `ping_websub_hub` with them.
The ping goes through the guarded client; a hub that is down is logged (the next change
pings again: a hub refetches the whole feed).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import current_app

from api.content.services import find_post
from api.events import catalogue as events
from api.feeds.services import feed_url
from api.infra.outbound import GuardedClient, OutboundError, OutboundPolicy
from api.infra.queue import enqueue_after_commit
from config import Settings

log = logging.getLogger(__name__)

POST_EVENTS = (
    events.POST_PUBLISHED,
    events.POST_UPDATED,
    events.POST_UNPUBLISHED,
    events.POST_DELETED,
)
COMMENT_EVENTS = (
    events.COMMENT_CREATED,
    events.COMMENT_APPROVED,
    events.COMMENT_SPAMMED,
    events.COMMENT_TRASHED,
    events.COMMENT_RESTORED,
    events.PINGBACK_RECEIVED,
)
EVENTS = POST_EVENTS + COMMENT_EVENTS
TIMEOUT = 10.0


def _both(settings: Settings, name: str, query: dict[str, str]) -> list[str]:
    return [feed_url(settings, name, fmt, query) for fmt in ("atom", "json")]


def topics_for(event, settings: Settings) -> list[str]:
    """The feed URLs whose content the event may have changed."""
    if event.type in {t.name for t in POST_EVENTS}:
        post = event.data.get("post") or {}
        if event.type == events.POST_UPDATED.name and post.get("status") != "published":
            return []  # a draft changed: no feed shows it
        topics = _both(settings, "posts", {})
        for tag in post.get("tags") or []:
            topics += _both(settings, "posts", {"tag": tag})
        if post.get("author"):
            topics += _both(settings, "posts", {"author": post["author"]})
        return topics
    comment = event.data.get("comment") or {}
    was_public = event.type in (events.COMMENT_TRASHED.name, events.COMMENT_SPAMMED.name)
    if comment.get("status") != "approved" and not was_public:
        return []  # the feeds show approved comments only
    found = find_post(post_id=comment.get("post_id"), site_url=settings.site_url)
    if found is None or found.status != "published":
        return []
    return _both(settings, "comments", {}) + _both(settings, "comments", {"post": found.slug})


def hub_configured() -> bool:
    """Whether there is a hub to ping (none: nothing to do per event)."""
    return bool(current_app.config["MARGINALIA"].websub_hub_url)


def on_feed_changed(event) -> None:
    if not hub_configured():
        return
    topics = topics_for(event, current_app.config["MARGINALIA"])
    if topics:
        enqueue_after_commit("ping_websub_hub", topics)


def ping_hub(settings: Settings, topics: list[str]) -> int:
    """Tell the hub these feeds changed; returns how many pings it took (2xx)."""
    if not settings.websub_hub_url:
        return 0
    policy = OutboundPolicy(
        allow_private=settings.allow_private_targets,
        max_redirects=0,
        total_timeout=TIMEOUT,
        user_agent="Marginalia/0.1 (+websub)",
    )
    taken = 0
    with GuardedClient(policy) as client:
        for topic in dict.fromkeys(topics):
            try:
                answer = client.post(
                    settings.websub_hub_url,
                    content=urlencode({"hub.mode": "publish", "hub.url": topic}).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            except OutboundError as exc:
                log.warning("websub: the hub was not reached (%s)", exc.reason)
                return taken
            if 200 <= answer.status_code < 300:
                taken += 1
            else:
                log.warning("websub: the hub answered HTTP %s", answer.status_code)
    return taken
