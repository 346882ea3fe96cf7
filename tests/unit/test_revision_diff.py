"""The revision diff, without an app: a unified diff of the body, the rest field by field."""

from api.content.revisions import SNAPSHOT_FIELDS, changed_fields, diff


def _snapshot(**fields) -> dict:
    base = {name: None for name in SNAPSHOT_FIELDS}
    return base | {"title": "T", "body": "a\nb\nc", "tags": ["x"], "featured": False} | fields


def test_only_the_changed_fields_are_listed_in_snapshot_order():
    old = _snapshot()
    new = _snapshot(title="T2", tags=["x", "y"], featured=True)
    result = diff(old, new, "revision 1", "revision 2")
    assert result["fields"] == [
        {"field": "title", "from": "T", "to": "T2"},
        {"field": "tags", "from": ["x"], "to": ["x", "y"]},
        {"field": "featured", "from": False, "to": True},
    ]
    assert result["body"] == ""
    assert changed_fields(old, new) == ["title", "tags", "featured"]


def test_the_body_is_a_unified_diff_even_without_a_final_newline():
    result = diff(_snapshot(), _snapshot(body="a\nB\nc"), "revision 4", "revision 9")
    assert result["fields"] == []
    assert result["body"] == ("--- revision 4\n+++ revision 9\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")


def test_a_first_revision_diffs_against_nothing():
    result = diff({}, _snapshot(), "nothing", "revision 1")
    assert {change["field"] for change in result["fields"]} == {"title", "tags", "featured"}
    assert result["body"].splitlines()[2:] == ["@@ -0,0 +1,3 @@", "+a", "+b", "+c"]
