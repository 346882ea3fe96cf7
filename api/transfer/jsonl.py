"""Marginalia's own export format: JSON Lines (one JSON value per line, UTF-8, `\\n`).

The first line is a header, `{"format": "marginalia-export", "version": 1,
"exported_at": "2025-01-01T00:00:00Z", …}` (the exporter may add fields such as the
site URL); every other line is one record, `{"kind": "<kind>", "data": {…}}`, with a
kind from `KINDS`. Lines stream both ways, so an export of any size is written and read
in constant memory. The exporter writes kinds in the order of `KINDS` (authors and tags
before the posts that name them, comments parents first) so an import can resolve every
reference as it reads.

`ExportWriter` writes (to a text or binary file); `read_export` yields one
`ExportHeader` and then `ExportRecord`s, and raises `ImportFileError` naming the line
for a wrong header, a newer version, a line that is not a record, or an unknown kind.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from api.transfer.errors import ImportFileError
from api.transfer.source import CountingReader, ProgressCallback, Source, open_source
from api.transfer.values import iso_datetime

FORMAT = "marginalia-export"
VERSION = 1
KINDS = (
    "author",
    "tag",
    "post",
    "page",
    "revision",
    "comment",
    "moderation_log",
    "linkback",
    "webhook_endpoint",
)
_HEADER_SHAPE = '{"format": "marginalia-export", "version": 1, …}'
_RECORD_SHAPE = '{"kind": …, "data": {…}}'


@dataclass(frozen=True, slots=True)
class ExportHeader:
    version: int
    exported_at: datetime | None
    fields: dict[str, Any]  # the whole header line, extra fields included


@dataclass(frozen=True, slots=True)
class ExportRecord:
    kind: str
    data: dict[str, Any]
    line: int  # where it is in the file, for the import report


class ExportWriter:
    """Writes the header at once, then one line per `write(kind, data)`."""

    def __init__(self, out: IO, *, exported_at: datetime | None = None, **header: Any):
        self._out = out
        self._text = isinstance(out, io.TextIOBase)
        self.counts: Counter[str] = Counter()
        moment = exported_at or datetime.now(UTC)
        self._line({"format": FORMAT, "version": VERSION, "exported_at": moment, **header})

    def write(self, kind: str, data: dict[str, Any]) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown export kind {kind!r}")
        if not isinstance(data, dict):
            raise TypeError(f"a {kind} record's data must be a dict")
        if kind == "webhook_endpoint" and any("secret" in key for key in data):
            # Exports get copied around; a signing secret in one lets anyone forge our
            # webhooks. Endpoints are exported without it and get a new one on import.
            raise ValueError("webhook endpoints are exported without their secrets")
        self._line({"kind": kind, "data": data})
        self.counts[kind] += 1

    def _line(self, value: dict[str, Any]) -> None:
        line = _dumps(value, ensure_ascii=False)
        try:
            encoded = line.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (SQLite stores whatever it is given) is not UTF-8; as a
            # \u escape it is still valid JSON and reads back as the same string.
            line = _dumps(value, ensure_ascii=True)
            encoded = line.encode("utf-8")
        self._out.write(line if self._text else encoded)


def _dumps(value: dict[str, Any], *, ensure_ascii: bool) -> str:
    return (
        json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            separators=(",", ":"),
            allow_nan=False,
            default=_encode,
        )
        + "\n"
    )


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in an export record: store times in UTC")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def read_export(
    source: Source, *, progress: ProgressCallback | None = None
) -> Iterator[ExportHeader | ExportRecord]:
    """The header, then every record; `progress` gets the bytes read so far."""
    with open_source(source) as raw:
        stream = CountingReader(raw, progress=progress)
        lines = enumerate(stream, start=1)
        first = next(lines, None)
        if first is None:
            raise ImportFileError("the file is empty")
        yield _header(first[1])
        for number, line in lines:
            if not line.strip():
                continue
            # Only the last line can lack its newline: then a parse failure is a cut-off file.
            yield _record(number, line, complete=line.endswith(b"\n"))


def _header(line: bytes) -> ExportHeader:
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportFileError(f"not a Marginalia export: line 1 is not a {_HEADER_SHAPE} header")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportFileError(f"line 1: the header's version is {version!r}, not a number")
    if version > VERSION:
        raise ImportFileError(
            f"export format version {version} is newer than this Marginalia reads "
            f"(up to {VERSION}); upgrade Marginalia to import it"
        )
    return ExportHeader(
        version=version, exported_at=iso_datetime(header.get("exported_at")), fields=header
    )


def _record(number: int, line: bytes, *, complete: bool) -> ExportRecord:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"line {number}: invalid UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if not complete:
            raise ImportFileError(
                f"line {number}: the file ends in the middle of a record (truncated?)"
            ) from None
        raise ImportFileError(
            f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if (
        not isinstance(value, dict)
        or "kind" not in value
        or not isinstance(value.get("data"), dict)
    ):
        raise ImportFileError(f"line {number}: not a record; expected {_RECORD_SHAPE}")
    kind = value["kind"]
    if kind not in KINDS:
        raise ImportFileError(
            f"line {number}: unknown kind {str(kind)[:40]!r} (known: {', '.join(KINDS)})"
        )
    return ExportRecord(kind=kind, data=value["data"], line=number)
