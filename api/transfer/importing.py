"""How every import writes: through the areas' services, in units of work of a batch of
items each, events muted but one `import.completed`, each item alone in a savepoint.

An importer reads its file once to check it (every problem with the file itself is an
`ImportFileError` before anything is written), then hands `run` its steps: one per
record, each a (kind, source id, function) that writes the record through the services
and says what happened in the report. A step the services refuse (a `DomainError`) is
rolled back alone and reported as refused, and the batch goes on.

Transactions: one per batch of `BATCH` steps. The file was checked whole before the
first batch, so a broken file writes nothing; an import stopped half-way (killed, the
database gone) leaves whole batches behind, and running it again resumes it, since
every record's source id is remembered and an unchanged record is left alone. A dry run
runs every step in one transaction and rolls it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from api.cache import keys as cache_keys
from api.errors import DomainError
from api.events import catalogue as events
from api.events.outbox import mute_events, record_event
from api.infra.unit_of_work import UnitOfWork, unit_of_work
from api.transfer import ledger, writing
from api.transfer.report import ImportReport

BATCH = 200

Step = tuple[str, object, Callable[[], None]]


class _DryRun(Exception):
    """Raised at the end of a dry run so the unit of work rolls everything back."""


def refusal(exc: DomainError) -> str:
    """A services' refusal as a report reason: the rule's words, without values."""
    if exc.errors:
        return f"{exc.title.lower()}: " + ", ".join(sorted(exc.errors))
    return exc.title.lower()


def run(
    steps: Iterable[Step],
    report: ImportReport,
    *,
    emit_events: bool = False,
    summary: dict | None = None,
) -> ImportReport:
    """Run the steps in batches (or, dry, in one rolled-back transaction); record one
    `import.completed` event with the report's counts at the end."""
    with ledger.written_here(), writing.counting_per_batch():
        return _run(iter(steps), report, emit_events, summary)


def _run(steps, report, emit_events, summary) -> ImportReport:
    if report.dry_run:
        try:
            with unit_of_work() as uow:
                _prepare(uow, emit_events)
                for step in steps:
                    _step(uow, step, report)
                writing.count_comments()
                raise _DryRun
        except _DryRun:
            pass
        return report
    while chunk := list(islice(steps, BATCH)):
        with unit_of_work() as uow:
            _prepare(uow, emit_events)
            for step in chunk:
                _step(uow, step, report)
            writing.count_comments()
        ledger.batch_done()
    with unit_of_work():
        record_event(
            events.IMPORT_COMPLETED,
            {
                "format": report.source_format,
                **(summary or {}),
                "kinds": report.to_dict()["kinds"],
                "totals": report.totals,
            },
            # The items' own events were muted with their keys: every cache drops
            # everything, and a CDN purges the collections the new items joined.
            keys=(
                cache_keys.EVERYTHING,
                cache_keys.POSTS,
                cache_keys.PAGES,
                cache_keys.AUTHORS,
                cache_keys.TAGS,
            ),
            force=True,
        )
    return report


def _prepare(uow: UnitOfWork, emit_events: bool) -> None:
    if not emit_events:
        mute_events()


def _step(uow: UnitOfWork, step: Step, report: ImportReport) -> None:
    kind, source_id, write = step
    try:
        with uow.savepoint():
            write()
    except DomainError as exc:
        report.record(kind, "refused", reason=refusal(exc), source_id=source_id)
