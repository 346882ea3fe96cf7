"""When a failed ping is worth another try, and when."""

from __future__ import annotations

from datetime import datetime, timedelta

# Waits after the 1st, 2nd, ... failed attempt; after the last one the ping has failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed ping not finished within this time (the worker died) is tried again.
LEASE = timedelta(minutes=5)

# Outbound failures that may heal by themselves; blocked addresses, bad URLs, oversized
# pages and redirect loops will not.
TRANSIENT_REASONS = frozenset({"timeout", "connect", "network", "protocol", "tls", "dns"})


def is_transient_status(status_code: int) -> bool:
    """HTTP answers that say "later": server errors, rate limits, request timeouts."""
    return status_code >= 500 or status_code in (408, 425, 429)


def next_attempt_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[min(attempts, len(BACKOFF)) - 1]
