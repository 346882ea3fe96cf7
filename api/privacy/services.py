"""A commenter's data: everything stored about them (access, GDPR article 15) and its
erasure (article 17), through the services of the areas that hold it."""

from __future__ import annotations

import logging
from datetime import timedelta

from api.cache import keys as cache_keys
from api.comments import discussion
from api.comments import services as comments
from api.errors import NotFound
from api.events import catalogue as events
from api.events.outbox import record_event
from api.events.scrub import scrub_comment_events
from api.infra.timestamps import utcnow
from api.linkbacks import services as linkbacks
from api.moderation import audit

log = logging.getLogger(__name__)


def commenter(
    *, email: str | None = None, issuer: str | None = None, subject: str | None = None
) -> dict:
    """Everything stored about one commenter: comments with their IPs, user agents and
    identities, and the moderation decisions on them."""
    found = comments.comments_of(email=email, issuer=issuer, subject=subject)
    decisions = audit.entries_for([c.id for c in found])
    views = [comments.private_view(c) for c in found]
    return {
        "email": email,
        "identity": {"issuer": issuer, "subject": subject} if issuer else None,
        "comments": views,
        "names": sorted({v["author_name"] for v in views if v["author_name"]}),
        "ip_addresses": sorted({v["ip_address"] for v in views if v["ip_address"]}),
        "user_agents": sorted({v["user_agent"] for v in views if v["user_agent"]}),
        "identities": [
            dict(pair)
            for pair in sorted({tuple(v["identity"].items()) for v in views if v["identity"]})
        ],
        "moderation": [
            {
                "id": entry.id,
                "comment_id": entry.comment_id,
                "from_status": entry.from_status,
                "to_status": entry.to_status,
                "actor": entry.actor_name,
                "reason": entry.reason,
                "created_at": entry.created_at,
            }
            for entry in decisions
        ],
    }


def erase(
    settings,
    *,
    mode: str,
    email: str | None = None,
    issuer: str | None = None,
    subject: str | None = None,
) -> dict:
    """Erase a commenter (anonymise or delete their comments, scrub the event log and
    the moderators' reasons); the erasure is recorded without the erased data."""
    found = comments.comments_of(email=email, issuer=issuer, subject=subject)
    if not found:
        raise NotFound("No comment is stored for this commenter.")
    values = sorted(
        {
            value
            for c in found
            for value in (c.author_email, c.author_name, c.ip_address, c.author_url)
            if value
        }
    )
    ids = [c.id for c in found]
    erased = comments.erase_comments(found, delete=mode == "delete")
    scrub_comment_events(
        set(ids), {"author_name": comments.ANONYMOUS, "author_url": None, "source_url": None}
    )
    audit.scrub_reasons(ids, values)
    discussion.forget_keys(settings, values)
    summary = {
        "mode": mode,
        "deleted": erased["deleted"],
        "anonymised": erased["anonymised"],
    }
    # The threads (and, for deletions, the posts' comment counts) readers saw change.
    post_ids = sorted({c.post_id for c in found})
    changed = [key for pid in post_ids for key in (cache_keys.comments(pid), cache_keys.post(pid))]
    record_event(
        events.PRIVACY_ERASED, summary, keys=(*changed, cache_keys.POSTS, cache_keys.PAGES)
    )
    log.info(
        "privacy erasure",
        extra={
            "fields": {"deleted": len(erased["deleted"]), "anonymised": len(erased["anonymised"])}
        },
    )
    return summary


def clear_old_ips(days: int) -> int:
    """IP retention: IPs (and user agents) stored longer than `days` are cleared."""
    if days <= 0:
        return 0
    before = utcnow() - timedelta(days=days)
    return comments.clear_old_ips(before) + linkbacks.clear_old_ips(before)
