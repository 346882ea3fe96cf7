"""The import report: counts per kind and outcome, reasons grouped with a few examples,
printed as a table and as JSON."""

from __future__ import annotations

import json

import pytest

from api.transfer.report import EXAMPLES_KEPT, ImportReport

PENDING = "pending review in WordPress, imported as a draft"
MENU = "post type nav_menu_item is not imported"


def first_run() -> ImportReport:
    report = ImportReport("wordpress")
    for post_id in range(1, 57):
        report.record("post", "created", source_id=post_id)
    report.record("post", "created", reason=PENDING, source_id=57)
    for item_id in range(100, 170):
        report.record("post", "skipped", reason=MENU, source_id=item_id)
    report.record("comment", "refused", reason="its post was not imported", source_id=9)
    return report


def test_counts_are_kept_per_kind_and_outcome():
    report = first_run()
    assert report.kinds == ["post", "comment"]
    assert report.count("post", "created") == 57
    assert report.count("post", "skipped") == 70
    assert report.count("comment", "refused") == 1
    assert report.count("author", "created") == 0
    assert report.totals == {
        "created": 57,
        "updated": 0,
        "unchanged": 0,
        "skipped": 70,
        "refused": 1,
    }
    assert report.changed


def test_reasons_are_grouped_with_a_few_examples():
    reasons = {r["reason"]: r for r in first_run().to_dict()["reasons"]}
    assert reasons[MENU]["count"] == 70
    assert reasons[MENU]["examples"] == [str(i) for i in range(100, 100 + EXAMPLES_KEPT)]
    assert reasons[PENDING] == {
        "kind": "post",
        "outcome": "created",
        "reason": PENDING,
        "count": 1,
        "examples": ["57"],
    }


def test_a_second_run_of_the_same_file_reports_nothing_changed():
    report = ImportReport("wordpress")
    for post_id in range(1, 58):
        report.record("post", "unchanged", source_id=post_id)
    assert not report.changed
    assert report.totals["unchanged"] == 57


def test_the_table_shows_every_kind_the_totals_and_why():
    table = first_run().to_table()
    lines = table.splitlines()
    assert lines[0] == "Import from wordpress"
    assert lines[1].split() == ["kind", "created", "updated", "unchanged", "skipped", "refused"]
    assert "post 57 0 0 70 0" in [" ".join(line.split()) for line in lines]
    assert "total 57 0 0 70 1" in [" ".join(line.split()) for line in lines]
    assert f"  post skipped x70: {MENU} (e.g. 100, 101, 102, 103, 104)" in lines


def test_a_dry_run_and_a_stop_say_so():
    report = ImportReport("disqus", dry_run=True)
    report.record("comment", "created")
    report.failed("the file ends in the middle of the document (truncated?)")
    table = report.to_table()
    assert "dry run: nothing written" in table.splitlines()[0]
    assert (
        table.splitlines()[-1]
        == "Stopped: the file ends in the middle of the document (truncated?)"
    )
    as_json = json.loads(report.to_json())
    assert as_json["dry_run"] is True
    assert as_json["error"].startswith("the file ends")
    assert as_json["kinds"]["comment"]["created"] == 1


def test_skipped_and_refused_need_a_reason_and_outcomes_are_known():
    report = ImportReport("ghost")
    with pytest.raises(ValueError, match="needs a reason"):
        report.record("post", "refused")
    with pytest.raises(ValueError, match="unknown outcome"):
        report.record("post", "deleted", reason="x")
