"""What a value from another platform becomes here, and what the report should say."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mapped:
    """`value` is ours (None: not imported). `note` says why ours differs from the
    source's, for the import report; None when nothing is lost in the mapping."""

    value: str | None
    note: str | None = None
