"""Reading the seed page (a saved WordPress page) into the parts a post is made of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SEED_FILE = Path(__file__).with_name("seed.txt")
_PINGBACK = re.compile(r"^(?P<source>.+?) said:$")


@dataclass(frozen=True)
class SeedPage:
    title: str
    paragraphs: list[str]
    pingback_source: str  # "Latest Updates « China Copyright and Media"
    pingback_date: str  # "February 21, 2015 at 8:53 am"
    pingback_excerpt: str  # "[…] Liu Yunshan: … […]"


def read_seed(path: Path = SEED_FILE) -> SeedPage:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    title = lines[0]
    end = next(i for i, line in enumerate(lines) if line.startswith("One thought on"))
    paragraphs = [line for line in lines[1:end] if line and line != "Posted on Updated on"]
    discussion = [line for line in lines[end + 1 :] if line]
    source_line = next(line for line in discussion if _PINGBACK.match(line))
    at = discussion.index(source_line)
    return SeedPage(
        title=title,
        paragraphs=paragraphs,
        pingback_source=_PINGBACK.match(source_line).group("source"),
        pingback_date=discussion[at + 1],
        pingback_excerpt=discussion[at + 2],
    )
