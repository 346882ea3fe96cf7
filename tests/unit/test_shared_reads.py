"""SharedRead: requests that arrive together share one read, and nobody gets a value
read before they arrived."""

from __future__ import annotations

import threading
import time

import pytest

from api.cache.shared_reads import SharedRead


class Database:
    """A value that writes move; a read sees it as of the moment the read starts, and
    can be held open to let callers pile up."""

    def __init__(self) -> None:
        self.version = 0
        self.reads = 0
        self.hold = threading.Event()
        self.hold.set()
        self.reading = threading.Event()

    def read(self) -> int:
        self.reads += 1
        seen = self.version  # the snapshot is taken when the read starts
        self.reading.set()
        self.hold.wait(timeout=10)
        return seen


def call_in_thread(shared, results: list, index: int) -> threading.Thread:
    def run():
        results[index] = shared()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_caller_never_gets_a_value_read_before_it_arrived():
    db = Database()
    shared = SharedRead(db.read)
    results = [None, None]
    db.hold.clear()
    first = call_in_thread(shared, results, 0)
    assert db.reading.wait(timeout=10)  # the first read has taken its snapshot
    db.version = 1  # a write commits while that read is still in flight
    second = call_in_thread(shared, results, 1)
    time.sleep(0.05)
    db.hold.set()
    first.join(10)
    second.join(10)
    assert results == [0, 1]  # the second caller waited for a read of its own


def test_callers_arriving_during_a_read_share_the_next_one():
    db = Database()
    shared = SharedRead(db.read)
    results = [None] * 9
    db.hold.clear()
    threads = [call_in_thread(shared, results, 0)]
    assert db.reading.wait(timeout=10)
    db.version = 7
    threads += [call_in_thread(shared, results, i) for i in range(1, 9)]
    time.sleep(0.1)  # all eight are waiting behind the read in flight
    db.hold.set()
    for thread in threads:
        thread.join(10)
    assert results == [0] + [7] * 8
    assert db.reads == 2  # nine callers, two round trips


def test_a_failed_read_fails_its_callers_and_the_next_call_reads_again():
    attempts = []

    def read():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("server closed the connection")
        return 42

    shared = SharedRead(read)
    with pytest.raises(ConnectionError):
        shared()
    assert shared() == 42
