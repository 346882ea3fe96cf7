"""Which moderation decisions are allowed: a pure function of (from, to).

    pending  -> approved | spam | trash
    approved -> pending | spam | trash
    spam     -> pending | trash
    trash    -> pending

Spam is never approved directly: it goes back to the queue first, so a second look
(and the log) stands between a spam verdict and a public comment. Trash only comes
back to the queue. Undoing a decision is deciding the previous status again.
"""

from __future__ import annotations

from api.events import catalogue as events

ALLOWED: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "spam", "trash"}),
    "approved": frozenset({"pending", "spam", "trash"}),
    "spam": frozenset({"pending", "trash"}),
    "trash": frozenset({"pending"}),
}

# The event each decision records, by the status it leads to.
EVENTS = {
    "approved": events.COMMENT_APPROVED,
    "spam": events.COMMENT_SPAMMED,
    "trash": events.COMMENT_TRASHED,
    "pending": events.COMMENT_RESTORED,
}


def refusal(from_status: str, to_status: str) -> str | None:
    """Why the decision is not allowed, or None when it is."""
    if from_status == to_status:
        return f"The comment is already {from_status}."
    allowed = ALLOWED.get(from_status)
    if allowed is None:
        return f"Unknown status {from_status!r}."
    if to_status not in ALLOWED:
        return f"Unknown status {to_status!r}."
    if to_status not in allowed:
        options = " or ".join(sorted(allowed))
        return f"A {from_status} comment can only become {options}, not {to_status}."
    return None
