"""The request side of the Ghost Content API: the `key`, `Accept-Version` /
`Content-Version`, the browse and read options (`filter`, `include`, `fields`,
`formats`, `limit`, `page`, `order`), `meta.pagination`, and Ghost's error shape.

Sources: https://docs.ghost.org/content-api/ (authentication: `?key=` with a 26-hex
Content API key; parameters; pagination; errors), `@tryghost/content-api` (it refuses
a key that is not 26 hex characters, sends `Accept-Version: v{major}.{minor}`, joins
array options with commas, and on a read by slug also sends `slug=` as a query
parameter, which must be tolerated), and Ghost's snapshots (a missing key is 403
NoPermissionError "Authorization failed"; an unknown one 401 UnauthorizedError; a bad
filter 400 BadRequestError "Error parsing filter", ghost/core/core/server/models/base/
plugins/filter.js; `meta.pagination` with `limit: "all"` for limit=all).

Choices: `limit` above 100 is read as 100 (Ghost's documented maximum); `limit=all`
returns at most `all_cap` items per page and then says so honestly (`limit` is the cap
and `next` the following page) rather than pretending the list is complete. `order`
takes `field asc|desc` pairs, comma-separated, direction optional (asc); unknown order
fields and includes are 422 ValidationError; unknown `fields` names and `formats`
(mobiledoc, lexical) are left out silently, as Ghost does.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.compat.nql import AUTHOR_FIELDS, POST_FIELDS, TAG_FIELDS, Kind, Node, NqlError, parse

CONTENT_VERSION = "v5.0"
DEFAULT_LIMIT = 15
MAX_LIMIT = 100
ALL_CAP = 1000

_KEY = re.compile(r"^[0-9a-f]{26}$")
_FORMATS = ("html", "plaintext")
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_.]{0,63}$", re.ASCII)

RESOURCES = ("posts", "pages", "authors", "tags", "settings")
_INCLUDES = {
    "posts": ("authors", "tags"),
    "pages": ("authors", "tags"),
    "authors": ("count.posts",),
    "tags": ("count.posts",),
}
_ORDER_FIELDS = {
    "posts": ("published_at", "updated_at", "created_at", "title", "slug", "featured", "id"),
    "authors": ("name", "slug", "created_at", "updated_at", "id", "count.posts"),
    "tags": ("name", "slug", "created_at", "updated_at", "id", "count.posts"),
}
_ORDER_FIELDS["pages"] = _ORDER_FIELDS["posts"]
_DEFAULT_ORDER = {
    "posts": (("published_at", True),),
    "pages": (("published_at", True),),
    "authors": (("name", False),),
    "tags": (("name", False),),
}
FILTER_FIELDS: Mapping[str, Mapping[str, Kind]] = {
    "posts": POST_FIELDS,
    "pages": POST_FIELDS,
    "tags": TAG_FIELDS,
    "authors": AUTHOR_FIELDS,
}
_SINGULAR = {"posts": "Post", "pages": "Page", "authors": "Author", "tags": "Tag"}

Query = Mapping[str, str | Sequence[str]]


# --- errors -------------------------------------------------------------------------

_TYPES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "NoPermissionError",
    404: "NotFoundError",
    422: "ValidationError",
    429: "TooManyRequestsError",
}


@dataclass
class GhostError(Exception):
    status: int
    message: str
    context: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return _TYPES.get(self.status, "InternalServerError")

    def body(self) -> dict[str, Any]:
        """`{"errors": [...]}` with every key Ghost sends (its snapshots)."""
        error = {
            "message": self.message,
            "context": self.context,
            "type": self.type,
            "details": None,
            "property": None,
            "help": None,
            "code": None,
            "id": str(uuid.uuid4()),
            "ghostErrorCode": None,
        }
        return {"errors": [error]}


def not_found(resource: str) -> GhostError:
    return GhostError(404, f"{_SINGULAR.get(resource, 'Resource')} not found.")


def from_problem(
    status: int, detail: str = "", headers: dict[str, str] | None = None
) -> GhostError:
    """Our problem+json error as Ghost would word it (type from the status)."""
    messages = {
        404: "Resource not found",
        401: "Authorization failed",
        403: "Permission error, cannot list resources.",
        429: "Too many requests.",
    }
    if status >= 500:
        return GhostError(
            status, "Internal server error, cannot complete the request.", None, headers or {}
        )
    return GhostError(
        status, messages.get(status, detail or "Request failed"), detail or None, headers or {}
    )


# --- key and version ----------------------------------------------------------------


def content_key(query: Query) -> str:
    """The `key` parameter, well-formed; whether it exists is the caller's question
    (answer an unknown one with `unknown_key()`)."""
    key = _last(query, "key")
    if not key:
        raise GhostError(
            403,
            "Authorization failed",
            "Unable to determine the authenticated member or integration. Check the "
            "supplied Content API Key and ensure cookies are being passed through if member "
            "auth is failing.",
        )
    if not _KEY.fullmatch(key):
        raise unknown_key()
    return key


def unknown_key() -> GhostError:
    return GhostError(401, "Unknown Content API Key")


def content_version(accept_version: str | None) -> str:
    """The `Content-Version` to answer: Ghost 5's shapes, whichever version a client
    asks for (`@tryghost/content-api` sends v5.0 or v6.0; older ones v2-v4). The
    header is accepted, never refused, as Ghost does."""
    return CONTENT_VERSION


# --- options ------------------------------------------------------------------------


@dataclass(frozen=True)
class GhostReadArgs:
    include: frozenset[str] = frozenset()
    fields: tuple[str, ...] | None = None
    formats: tuple[str, ...] = ("html",)


@dataclass(frozen=True)
class GhostBrowseArgs(GhostReadArgs):
    filter: Node | None = None
    limit: int = DEFAULT_LIMIT
    limit_all: bool = False
    page: int = 1
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.limit


def _last(query: Query, name: str) -> str | None:
    raw = query.get(name)
    if raw is None or isinstance(raw, str):
        return raw
    return raw[-1] if raw else None


def _words(raw: str | None) -> list[str]:
    return [word.strip() for word in (raw or "").split(",") if word.strip()]


def _invalid(resource: str, context: str) -> GhostError:
    return GhostError(422, f"Validation error, cannot list {resource}.", context)


def read_args(resource: str, query: Query) -> GhostReadArgs:
    """Options of a read (`/posts/{id}/`, `/posts/slug/{slug}/`)."""
    include = frozenset(_words(_last(query, "include")))
    unknown = sorted(include - set(_INCLUDES.get(resource, ())))
    if unknown:
        raise _invalid(
            resource,
            f"Unknown include {', '.join(unknown)}; allowed: {', '.join(_INCLUDES[resource])}",
        )
    fields = tuple(name for name in _words(_last(query, "fields")) if _FIELD_NAME.fullmatch(name))
    formats: tuple[str, ...] = ("html",)
    if resource in ("posts", "pages"):
        # Ghost drops formats the Content API does not serve (mobiledoc, lexical).
        wanted = [name for name in _words(_last(query, "formats")) if name in _FORMATS]
        formats = tuple(dict.fromkeys(wanted)) or formats
    return GhostReadArgs(include=include, fields=fields or None, formats=formats)


def browse_args(resource: str, query: Query, *, all_cap: int = ALL_CAP) -> GhostBrowseArgs:
    """Options of a browse; a filter that does not parse is 400 "Error parsing filter"."""
    base = read_args(resource, query)
    node = None
    text = _last(query, "filter")
    if text:
        try:
            node = parse(text, FILTER_FIELDS[resource])
        except NqlError as error:
            raise GhostError(400, "Error parsing filter", str(error)) from None
    limit, limit_all = _limit(resource, _last(query, "limit"), all_cap)
    page = _positive(resource, "page", _last(query, "page"), default=1)
    order = _order(resource, _last(query, "order"))
    return GhostBrowseArgs(
        include=base.include,
        fields=base.fields,
        formats=base.formats,
        filter=node,
        limit=limit,
        limit_all=limit_all,
        page=page,
        order=order,
    )


def _limit(resource: str, raw: str | None, all_cap: int) -> tuple[int, bool]:
    if raw is not None and raw.strip().lower() == "all":
        return all_cap, True
    return min(_positive(resource, "limit", raw, default=DEFAULT_LIMIT), MAX_LIMIT), False


def _positive(resource: str, name: str, raw: str | None, *, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip(), re.ASCII) or int(raw) < 1:
        raise _invalid(resource, f"{name} must be a positive whole number")
    return int(raw)


def _order(resource: str, raw: str | None) -> tuple[tuple[str, bool], ...]:
    if not raw or not raw.strip():
        return _DEFAULT_ORDER[resource]
    allowed = _ORDER_FIELDS[resource]
    order = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        name = words[0].lower()
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or name not in allowed or direction not in ("asc", "desc"):
            raise _invalid(
                resource, f"order takes 'field asc|desc' with a field among {', '.join(allowed)}"
            )
        order.append((name, direction == "desc"))
    return tuple(order) or _DEFAULT_ORDER[resource]


def pagination(args: GhostBrowseArgs, total: int) -> dict[str, Any]:
    """`meta.pagination`: page, limit ("all" when everything fit), pages (at least 1,
    as Ghost), total, next and prev (page numbers or null)."""
    pages = max(1, math.ceil(total / args.limit))
    limit: int | str = "all" if args.limit_all and total <= args.limit else args.limit
    return {
        "page": args.page,
        "limit": limit,
        "pages": pages,
        "total": total,
        "next": args.page + 1 if args.page < pages else None,
        "prev": args.page - 1 if args.page > 1 else None,
    }
