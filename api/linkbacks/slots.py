"""How many pingback verifications may run at once in this process (no app needed).

A pingback is verified while its sender waits, so each one holds a request thread for
as long as the source takes to answer (up to the fetch deadline). A small global cap
keeps most threads free for everyone else, and a per-address cap keeps one client from
taking all the slots. Nothing waits for a slot: a call over a cap is refused at once
(the caller answers with a fault asking to try later).

The counts are per process, which is what a thread pool is: each gunicorn worker
guards its own threads.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class NoSlot(Exception):
    """Too many verifications are running (globally, or for this address)."""


class Slots:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._by_key: Counter[str] = Counter()

    @property
    def running(self) -> int:
        return self._running

    @contextmanager
    def hold(self, key: str, *, total: int, per_key: int) -> Iterator[None]:
        """Run the block in a slot, or raise NoSlot straight away."""
        with self._lock:
            if self._running >= total or self._by_key[key] >= per_key:
                raise NoSlot(key)
            self._running += 1
            self._by_key[key] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                self._by_key[key] -= 1
                if self._by_key[key] <= 0:
                    del self._by_key[key]
