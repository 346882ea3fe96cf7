"""`marginalia export` and `marginalia import marginalia`: everything, as JSON Lines
(api/transfer/jsonl.py), and back into an empty database as it was.

The export holds authors, tags, posts and pages (with their tags and old slugs),
comments and pingback entries (statuses, rule verdicts, parents before replies), the
moderation log, linkbacks (links between our posts, pings sent, Webmentions received)
and webhook endpoints without their secrets. Each area dumps and restores its own rows
(ids, times and rendered HTML as stored), so a restored database answers every read as
the exported one did. Not exported: staff tokens, media files, the event log and webhook
deliveries (history of this installation), discussion settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from sqlalchemy.exc import IntegrityError

from api.comments import services as comments
from api.content import services as content
from api.errors import InvalidInput
from api.linkbacks import services as linkbacks
from api.moderation import audit
from api.transfer.errors import ImportFileError
from api.transfer.importing import Step, run
from api.transfer.jsonl import ExportHeader, ExportRecord, ExportWriter, read_export
from api.transfer.report import ImportReport
from api.transfer.source import ProgressCallback, Source
from api.webhooks import services as webhooks


def export_all(out: IO, *, site_url: str = "") -> dict[str, int]:
    """Write the export to `out`; the count of each kind written."""
    writer = ExportWriter(out, site_url=site_url)
    for kind, data in content.export_records():
        writer.write(kind, data)
    for data in comments.export_comments():
        writer.write("comment", data)
    for data in audit.export_log():
        writer.write("moderation_log", data)
    for data in linkbacks.export_linkbacks():
        writer.write("linkback", data)
    for data in webhooks.export_endpoints():
        writer.write("webhook_endpoint", data)
    return dict(writer.counts)


_RESTORE = {
    "author": lambda data: content.restore_record("author", data),
    "tag": lambda data: content.restore_record("tag", data),
    "post": lambda data: content.restore_record("post", data),
    "page": lambda data: content.restore_record("page", data),
    "revision": lambda data: content.restore_record("revision", data),
    "comment": comments.restore_comment,
    "moderation_log": audit.restore_entry,
    "linkback": linkbacks.restore_linkback,
    "webhook_endpoint": webhooks.restore_endpoint,
}


def import_marginalia(
    path: Source,
    *,
    dry_run: bool = False,
    emit_events: bool = False,
    checking: ProgressCallback | None = None,
    importing: ProgressCallback | None = None,
) -> ImportReport:
    """Restore an export into an empty database (ids are kept, so it must be empty)."""
    for _ in read_export(path, progress=checking):
        pass  # the whole file is checked before anything is written
    if not content.is_empty():
        raise ImportFileError(
            "the database is not empty: a Marginalia export is restored into an empty "
            "database (ids are kept)"
        )
    report = ImportReport("marginalia", dry_run=dry_run)
    steps = _steps(read_export(path, progress=importing), report)
    return run(steps, report, emit_events=emit_events)


def _steps(records: Iterator[ExportHeader | ExportRecord], report: ImportReport) -> Iterator[Step]:
    for record in records:
        if isinstance(record, ExportHeader):
            continue
        if record.kind not in _RESTORE:
            reason = f"{record.kind} records are not restored yet"
            report.record(record.kind, "skipped", reason=reason, source_id=record.line)
            continue
        yield record.kind, record.line, lambda r=record: _restore(r, report)
    yield "ids", None, _continue_ids


def _restore(record: ExportRecord, report: ImportReport) -> None:
    try:
        _RESTORE[record.kind](record.data)
    except (IntegrityError, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"line {record.line} does not fit: {type(exc).__name__}") from None
    report.record(record.kind, "created")


def _continue_ids() -> None:
    content.restored()
    comments.restored_comments()
    audit.restored_log()
    linkbacks.restored_linkbacks()
    webhooks.restored_endpoints()
