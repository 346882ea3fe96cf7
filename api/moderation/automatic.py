"""Decisions no moderator made: a pingback whose source stopped linking the post goes to
the trash, and comes back when the link does.

They are moderation decisions like any other (logged, with an event), taken by the
system actor `linkbacks` on the linkbacks area's behalf, in the caller's unit of work.
"""

from __future__ import annotations

from api.comments import status as comments
from api.events import catalogue as events
from api.moderation import audit

LINK_REMOVED = "link removed"
LINKED_AGAIN = "linked again"


def trash_pingback(*, post_id: int, source_url: str) -> bool:
    """The source no longer links the post: its pingback goes to the trash."""
    entry = comments.find_pingback(post_id, source_url, locked=True)
    if entry is None or entry.status == "trash":
        return False
    before = comments.move([entry], "trash", events.COMMENT_TRASHED, {"reason": LINK_REMOVED})
    audit.record_decision(entry, audit.LINKBACKS, before[entry.id], "trash", reason=LINK_REMOVED)
    return True


def restore_pingback(*, post_id: int, source_url: str) -> bool:
    """The source links the post again: a pingback that went to the trash because the
    link was removed returns to the status it had then. One a moderator trashed stays."""
    entry = comments.find_pingback(post_id, source_url, locked=True)
    if entry is None or entry.status != "trash":
        return False
    last = audit.latest_decision(entry.id)
    if last is None or last.actor_role != "system" or last.reason != LINK_REMOVED:
        return False
    restored = last.from_status
    comments.move([entry], restored, events.COMMENT_RESTORED, {"reason": LINKED_AGAIN})
    audit.record_decision(entry, audit.LINKBACKS, "trash", restored, reason=LINKED_AGAIN)
    return True
