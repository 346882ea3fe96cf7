"""Claiming work from a table: the one claim loop of the worker's queues.

The worker's queues that live in tables (pings to send, Webmentions to verify) are
worked by claiming one due row at a time: a short unit of work reads the next due row
and either claims it (a conditional UPDATE that moves its next attempt a lease away, so
other workers skip it, and a worker that dies only delays it) or settles it without
work (its target is gone). The work itself, which waits on other hosts, runs after that
unit of work has committed, with no transaction open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from api.infra.unit_of_work import unit_of_work

Row = TypeVar("Row")
Job = TypeVar("Job")


def claim_next(
    next_due: Callable[[], Row | None], claim: Callable[[Row], Job | None]
) -> Job | None:
    """The next job, or None when nothing is due.

    `next_due()` reads the next due row; `claim(row)` returns the job if this worker
    claimed it, or None when the row was settled instead or another worker claimed it
    first (then the next row is looked at).
    """
    while True:
        with unit_of_work():
            row = next_due()
            if row is None:
                return None
            job = claim(row)
        if job is not None:
            return job
