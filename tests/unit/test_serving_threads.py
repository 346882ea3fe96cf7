"""The worker's app threads (api/serving/threads.py): answers and errors reach the
awaiting task on the event loop; closing lets queued jobs finish."""

from __future__ import annotations

import asyncio
import threading

import pytest

from api.serving.threads import AppThreads


def _run(job):
    if isinstance(job, Exception):
        raise job
    return job * 2, threading.current_thread().name


def test_the_answer_and_the_error_reach_the_awaiting_task():
    threads = AppThreads(2, _run, name="test")

    async def main():
        answers = await asyncio.gather(*(threads.submit(n) for n in range(6)))
        with pytest.raises(ValueError, match="refused"):
            await threads.submit(ValueError("refused"))
        return answers

    try:
        answers = asyncio.run(main())
    finally:
        threads.close()
    assert [value for value, _ in answers] == [0, 2, 4, 6, 8, 10]
    assert {name for _, name in answers} <= {"test_0", "test_1"}  # on the app threads


def test_a_task_that_stops_waiting_leaves_the_thread_free_for_the_next_job():
    release = threading.Event()
    threads = AppThreads(1, lambda job: release.wait(5) and job, name="test")

    async def main():
        slow = threads.submit("abandoned")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(slow, 0.05)  # the client went away
        release.set()
        return await threads.submit("next")

    try:
        assert asyncio.run(main()) == "next"
    finally:
        threads.close()
