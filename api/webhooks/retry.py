"""What one attempt's result means for the delivery and for its endpoint (pure rules).

* 2xx is success; anything else, including a redirect (never followed), is a failure.
* 410 Gone: the receiver asks us to stop; the delivery fails and the endpoint is disabled.
* 429 / 503 with Retry-After: retry no sooner than asked (up to a day), and leave the
  endpoint alone until then.
* No answer at all (refused, timeout, DNS, blocked address): the endpoint is
  unreachable, so the rest of its queue waits with this delivery instead of piling up
  timeouts; the next try is this delivery's retry.
* Otherwise retry on the schedule, +-10% jitter; after the last step, `failed`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

JITTER = 0.1
MAX_RETRY_AFTER = 86400.0  # a receiver may ask for a pause of up to a day, no more


@dataclass(frozen=True)
class Result:
    """What came back from one attempt."""

    status_code: int | None  # None: no HTTP response at all
    error: str | None = None
    retry_after: str | None = None  # the raw header, on 429/503
    location: str | None = None  # on a redirect


@dataclass(frozen=True)
class Verdict:
    delivered: bool
    error: str | None  # why the attempt failed, for the log
    delay: float | None  # seconds until the next attempt; None: no more attempts
    disable_endpoint: str | None = None  # the reason, when the endpoint must be disabled
    endpoint_backoff: float | None = None  # leave the whole endpoint alone this long


def judge(result: Result, retry_step: int, schedule: tuple[float, ...], rng=random) -> Verdict:
    """The verdict on an attempt made at `retry_step` (0 = the first of this run)."""
    code = result.status_code
    if code is not None and 200 <= code < 300:
        return Verdict(delivered=True, error=None, delay=None)
    if code == 410:
        reason = "the endpoint answered 410 Gone"
        return Verdict(False, reason, None, disable_endpoint=reason)
    error = result.error or _http_error(result)
    delay = next_delay(retry_step, schedule, rng)
    if code in (429, 503):
        asked = retry_after_seconds(result.retry_after, cap=MAX_RETRY_AFTER)
        if asked is not None:
            delay = None if delay is None else asked
            return Verdict(False, error, delay, endpoint_backoff=asked)
    if code is None:
        return Verdict(False, error, delay, endpoint_backoff=delay or 0.0)
    return Verdict(False, error, delay)


def _http_error(result: Result) -> str:
    if result.status_code is not None and 300 <= result.status_code < 400:
        where = f" to {result.location[:200]}" if result.location else ""
        return f"HTTP {result.status_code}: redirect{where} not followed"
    return f"HTTP {result.status_code}"


def next_delay(retry_step: int, schedule: tuple[float, ...], rng=random) -> float | None:
    """Seconds before the attempt after `retry_step`, or None when the schedule is spent."""
    following = retry_step + 1
    if following >= len(schedule):
        return None
    base = schedule[following]
    return base * rng.uniform(1 - JITTER, 1 + JITTER)


def retry_after_seconds(value: str | None, *, cap: float, now: datetime | None = None):
    """Retry-After as seconds (delta-seconds or an HTTP-date), capped; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), cap)
