"""Ghost-style identifiers for our integer ids.

Ghost ids are 24 lower-case hex characters (MongoDB ObjectIds, e.g.
`5ddc9141c35e7700383b2937`, https://docs.ghost.org/content-api/posts). Ghost clients
treat them as opaque strings: `@tryghost/content-api` only puts them in the URL
(`posts/{id}/`), themes and static-site generators use them as keys. So we show ours
in that shape, reversibly: two hex digits for the kind of resource, then the integer id
in 22 hex digits. The kind prefix keeps ids unique across resources, as Ghost's are
(a post and a tag never share an id, which frontends keying caches by id rely on).

Ghost posts also carry a `uuid` (v4 in Ghost). Ours is a UUIDv5 of the site URL, the
kind and the id: stable across requests and restarts, different between sites.
"""

from __future__ import annotations

import re
import uuid
from enum import IntEnum

_GHOST_ID = re.compile(r"^[0-9a-f]{24}$")
_MAX_ID = 16**22 - 1
# Our ids are 32-bit integers (PostgreSQL refuses larger ones with an error, not a miss).
MAX_OUR_ID = 2**31 - 1


class Kind(IntEnum):
    POST = 1
    PAGE = 2
    AUTHOR = 3
    TAG = 4


def ghost_id(kind: Kind, number: int) -> str:
    """`ghost_id(Kind.POST, 42) == "01000000000000000000002a"`."""
    if not 0 < number <= _MAX_ID:
        raise ValueError(f"id {number} does not fit a Ghost id")
    return f"{int(kind):02x}{number:022x}"


def parse_ghost_id(text: str, kind: Kind) -> int | None:
    """Our integer id from a Ghost id of this kind; None for anything else (another
    kind's id, a malformed one, one beyond our ids' range), which a read answers with
    404 and a filter with no match."""
    text = text.lower()
    if not _GHOST_ID.fullmatch(text) or int(text[:2], 16) != kind:
        return None
    number = int(text[2:], 16)
    return number if 0 < number <= MAX_OUR_ID else None


def content_uuid(kind: Kind, number: int, site_url: str) -> str:
    """A stable UUID for a post or page of this site (Ghost's `uuid`)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{site_url}#{kind.name.lower()}/{number}"))
