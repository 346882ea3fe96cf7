"""Moving a site in and out: readers for other platforms' exports, our own export format,
and the import report.

Everything in this package is pure: no Flask, no database. Each reader takes a path or a
binary file, streams it, and yields typed records; the import services (which own the
transactions and remember each source id) decide what to create, update or refuse.
Every problem with a file itself ends in one exception type, `ImportFileError`, whose
message is one line a CLI can print as it is.
"""

from api.transfer.errors import ImportFileError

__all__ = ["ImportFileError"]
