"""Opening an export (a path or an open binary file) and counting the bytes read from it,
so a CLI can draw a progress bar against the file's size."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from api.transfer.errors import ImportFileError

Source = str | os.PathLike[str] | BinaryIO
# Called with the total number of bytes read so far (not the increment): a caller that
# draws with click does `bar.update(total - bar.pos)`.
ProgressCallback = Callable[[int], None]
# Sees every chunk read with the offset it starts at, and b"" once at the end.
ChunkInspector = Callable[[bytes, int], None]

# Often enough for a smooth bar, rarely enough to cost nothing (a 200 MB file: ~800 calls).
PROGRESS_EVERY_BYTES = 256 * 1024


@contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
    """Yield a binary file to read; a path is opened (and closed after), a file is lent."""
    if hasattr(source, "read"):
        yield source  # type: ignore[misc]
        return
    try:
        handle = open(source, "rb")  # noqa: SIM115  (closed below, after the caller's loop)
    except OSError as exc:
        raise ImportFileError(f"cannot open {os.fspath(source)}: {exc.strerror}") from None
    try:
        yield handle
    finally:
        handle.close()


def source_size(source: Source) -> int | None:
    """Bytes left to read, for a progress bar's length; None when it cannot be known."""
    try:
        if hasattr(source, "read"):
            return os.fstat(source.fileno()).st_size - source.tell()  # type: ignore[union-attr]
        return os.path.getsize(source)
    except (OSError, AttributeError, ValueError):
        return None


class CountingReader:
    """A read-only view of a binary file that counts bytes and reports progress."""

    def __init__(
        self,
        raw: BinaryIO,
        progress: ProgressCallback | None = None,
        inspect: ChunkInspector | None = None,
    ):
        self._raw = raw
        self._progress = progress
        self._inspect = inspect
        self._reported = 0
        self.bytes_read = 0
        self.at_eof = False

    def read(self, size: int = -1) -> bytes:
        return self._counted(self._raw.read(size))

    def readline(self) -> bytes:
        return self._counted(self._raw.readline())

    def __iter__(self) -> Iterator[bytes]:
        """Lines, as a binary file gives them (JSON Lines reads this way)."""
        while line := self.readline():
            yield line

    def _counted(self, chunk: bytes) -> bytes:
        if self._inspect is not None:
            self._inspect(chunk, self.bytes_read)
        self.bytes_read += len(chunk)
        reached_eof = not chunk and not self.at_eof
        self.at_eof = self.at_eof or not chunk
        if self._progress is not None and (
            reached_eof or self.bytes_read - self._reported >= PROGRESS_EVERY_BYTES
        ):
            self._reported = self.bytes_read
            self._progress(self.bytes_read)
        return chunk


def bar_progress(bar) -> ProgressCallback:
    """A progress callback that moves a click progress bar made with the file's size:

    with click.progressbar(length=source_size(path) or 0, label="Reading") as bar:
        for record in read_wordpress(path, progress=bar_progress(bar)): ...
    """

    def advance(total: int) -> None:
        bar.update(total - bar.pos)

    return advance
