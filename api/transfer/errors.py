"""The one exception every reader raises for a file it cannot read."""

from __future__ import annotations


class ImportFileError(Exception):
    """The file is not a readable export of the kind asked for: hostile, truncated, badly
    encoded, or of another shape. The message is one line, fit to print after
    ``marginalia import …:`` with a non-zero exit code."""

    def __init__(self, message: str):
        # Messages quote bits of the file; a newline in them would break the one-line
        # promise (and could forge a second line in a log).
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return self.args[0]
