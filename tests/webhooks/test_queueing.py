"""The queue side: drain requests and retry wake-ups are coalesced, not piled up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey

from api.webhooks import draining


class FakeTask:
    def __init__(self) -> None:
        self.queued: list[int] = []
        self.scheduled: list[tuple[int, datetime]] = []

    def __call__(self, endpoint_id: int) -> None:
        self.queued.append(endpoint_id)

    def schedule(self, args, eta):
        self.scheduled.append((args[0], eta))


@pytest.fixture
def queue(monkeypatch) -> FakeTask:
    monkeypatch.setattr(draining, "huey", MemoryHuey("webhook-queue-test", immediate=False))
    fake = FakeTask()
    monkeypatch.setattr(draining, "task_named", {draining.DRAIN_TASK: fake}.__getitem__)
    return fake


def test_a_drain_already_queued_is_not_queued_again_until_it_starts(queue):
    draining.request_drain(1)
    draining.request_drain(1)
    draining.request_drain(2)
    assert queue.queued == [1, 2]
    draining.forget_request(1)  # what the drain does when it starts
    draining.request_drain(1)
    assert queue.queued == [1, 2, 1]


def test_only_the_earliest_wake_up_is_scheduled(queue):
    soon = datetime.now(UTC) + timedelta(minutes=5)
    draining.schedule_drain(7, soon)
    draining.schedule_drain(7, soon + timedelta(hours=2))  # covered by the earlier wake
    draining.schedule_drain(7, soon - timedelta(minutes=4))  # earlier: needs its own
    draining.schedule_drain(8, soon + timedelta(hours=2))
    assert [(e, round((t - soon).total_seconds())) for e, t in queue.scheduled] == [
        (7, 0),
        (7, -240),
        (8, 7200),
    ]
