"""A count of the connections cut for being slow or oversized, logged once per window.

One line per cut would let an attacker fill the disk with our own logs; one line every
ten seconds while anything was cut says the same to an operator.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

log = logging.getLogger("marginalia.server")

WINDOW_SECONDS = 10.0

# Why a connection was cut
HEADER_DEADLINE = "header_deadline"  # request headers incomplete at the deadline (408)
BODY_DEADLINE = "body_deadline"  # request body incomplete at the deadline (408)
IDLE = "idle"  # a new connection that sent nothing before the header deadline
TOO_LARGE = "too_large"  # 413, 414, 431
MALFORMED = "malformed"  # 400, 501


class SlowClientTally:
    def __init__(self, window: float = WINDOW_SECONDS):
        self.window = window
        self.counts: Counter[str] = Counter()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def count(self, reason: str) -> None:
        self.counts[reason] += 1

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._timer = loop.call_later(self.window, self._tick)

    def _tick(self) -> None:
        self.flush()
        if self._loop is not None and not self._loop.is_closed():
            self._timer = self._loop.call_later(self.window, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.flush()

    def flush(self) -> None:
        if not self.counts:
            return
        counts, self.counts = dict(self.counts), Counter()
        log.warning(
            "cut %d slow or oversized requests",
            sum(counts.values()),
            extra={"fields": {"cut": counts, "window_seconds": self.window}},
        )
