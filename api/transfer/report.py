"""The report an import ends with: what happened to each kind of thing, and why.

Outcomes, per record read:

* created   — new here;
* updated   — it was here from an earlier run of this source and has changed since;
* unchanged — it was here and nothing changed (a second run of the same file reports
              only these);
* skipped   — deliberately not imported (a nav menu item, a post in WordPress's trash);
* refused   — could not be imported (a comment whose post is missing, a Disqus thread
              that matches none of our posts).

Skipped and refused need a reason. Created and updated may carry one too, when the
record changed on the way in ("pending review in WordPress, imported as a draft"), so
the difference stays visible. Reasons are counted, not listed one by one, with a few
source ids as examples, so a report of a 100k-post import stays small. Reasons must not
contain ids or personal data (put those in `source_id`): they are grouped by their text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("created", "updated", "unchanged", "skipped", "refused")
_NEEDS_REASON = {"skipped", "refused"}
EXAMPLES_KEPT = 5


@dataclass
class _Reason:
    count: int = 0
    examples: list[str] = field(default_factory=list)


class ImportReport:
    def __init__(self, source_format: str, *, dry_run: bool = False):
        self.source_format = source_format
        self.dry_run = dry_run
        self.error: str | None = None
        self._counts: dict[str, dict[str, int]] = {}
        self._reasons: dict[tuple[str, str, str], _Reason] = {}

    def record(
        self,
        kind: str,
        outcome: str,
        *,
        reason: str | None = None,
        source_id: object = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        if outcome in _NEEDS_REASON and not reason:
            raise ValueError(f"a {outcome} {kind} needs a reason")
        counts = self._counts.setdefault(kind, dict.fromkeys(OUTCOMES, 0))
        counts[outcome] += 1
        if reason:
            entry = self._reasons.setdefault((kind, outcome, reason), _Reason())
            entry.count += 1
            if source_id is not None and len(entry.examples) < EXAMPLES_KEPT:
                entry.examples.append(str(source_id))

    def failed(self, message: str) -> None:
        """The import stopped here (an ImportFileError's message)."""
        self.error = message

    def count(self, kind: str, outcome: str) -> int:
        return self._counts.get(kind, {}).get(outcome, 0)

    @property
    def kinds(self) -> list[str]:
        return list(self._counts)

    @property
    def totals(self) -> dict[str, int]:
        return {o: sum(counts[o] for counts in self._counts.values()) for o in OUTCOMES}

    @property
    def changed(self) -> bool:
        """Whether the import wrote (or, dry, would write) anything."""
        totals = self.totals
        return bool(totals["created"] or totals["updated"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.source_format,
            "dry_run": self.dry_run,
            "error": self.error,
            "kinds": {kind: dict(counts) for kind, counts in self._counts.items()},
            "totals": self.totals,
            "reasons": [
                {
                    "kind": kind,
                    "outcome": outcome,
                    "reason": reason,
                    "count": entry.count,
                    "examples": list(entry.examples),
                }
                for (kind, outcome, reason), entry in self._reasons.items()
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_table(self) -> str:
        title = f"Import from {self.source_format}" + (
            " (dry run: nothing written)" if self.dry_run else ""
        )
        rows = [["kind", *OUTCOMES]]
        rows += [
            [kind, *(str(counts[o]) for o in OUTCOMES)] for kind, counts in self._counts.items()
        ]
        rows.append(["total", *(str(n) for n in self.totals.values())])
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [title]
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if index == 0 or index == len(rows) - 2:
                lines.append("  ".join("-" * w for w in widths))
        if self._reasons:
            lines += ["", "Why:"]
            for (kind, outcome, reason), entry in self._reasons.items():
                examples = f" (e.g. {', '.join(entry.examples)})" if entry.examples else ""
                lines.append(f"  {kind} {outcome} x{entry.count}: {reason}{examples}")
        if self.error:
            lines += ["", f"Stopped: {self.error}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_table()
