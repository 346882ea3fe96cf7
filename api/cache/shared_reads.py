"""One database read shared by the requests that all need it, without ever answering a
request with a value read before it arrived.

The response cache checks the generation (the latest event id) on every hit; on
PostgreSQL that is one round trip per request, most of what a cached hit costs. While a
read is in flight, the requests that arrive join the *next* read, which starts once the
one in flight is done: every member of a read arrived before it started, so the value
it returns is at least as new as any write committed before they arrived (no stale
read), and a burst of hits costs two round trips instead of one each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Read(Generic[T]):
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None


class SharedRead(Generic[T]):
    def __init__(self, read: Callable[[], T]):
        self._read = read
        self._joining = threading.Lock()  # guards `_next`
        self._reading = threading.Lock()  # one read in flight at a time
        self._next: _Read[T] | None = None

    def __call__(self) -> T:
        with self._joining:
            joined = self._next
            leads = joined is None
            if leads:
                joined = self._next = _Read()
        if leads:
            with self._reading:  # the read before this one finishes first
                with self._joining:
                    self._next = None  # from here on, newcomers wait for the read after
                try:
                    joined.value = self._read()
                except BaseException as error:
                    joined.error = error
                    raise
                finally:
                    joined.done.set()
            return joined.value
        joined.done.wait()
        if joined.error is not None:
            raise joined.error
        return joined.value
