"""The README says what the code does: its event table and its layout are the code's."""

from __future__ import annotations

import re
from pathlib import Path

from api.events.catalogue import markdown_table

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_event_table_is_the_catalogue():
    found = re.search(r"<!-- event-types:start -->\n(.*?)<!-- event-types:end -->", README, re.S)
    assert found, "README.md lost its event-types markers"
    assert found.group(1) == markdown_table(), (
        "README.md's event table differs from api/events/catalogue.py: paste the output "
        "of `marginalia event-types` between the markers"
    )


def test_every_module_the_layout_names_exists():
    layout = README[README.index("## Layout") : README.index("### How a change travels")]
    travels = README[README.index("### How a change travels") :].split("\n## ")[0]
    api = ROOT / "api"
    existing = {path.name for path in api.rglob("*.py")}
    missing = [name for name in re.findall(r"\b(\w+\.py)\b", layout) if name not in existing]
    missing += [
        path for path in re.findall(r"`(\w+/\w+\.py)`", travels) if not (api / path).exists()
    ]
    assert not missing, f"README.md names modules that do not exist: {missing}"
