"""The request side of the WordPress REST API: which route a path names, the list
arguments of each collection (validated as WordPress validates them), paging
arithmetic and headers, discovery links, and a comment form's submission.

Sources: https://developer.wordpress.org/rest-api/reference/ (the arguments of each
endpoint), https://developer.wordpress.org/rest-api/using-the-rest-api/pagination/
(`page`, `per_page` <= 100, `offset`, X-WP-Total, X-WP-TotalPages, Link next/prev) and
.../discovery/ (`Link: <…/wp-json/>; rel="https://api.w.org/"`), and the controllers'
get_items() (wp-includes/rest-api/endpoints/class-wp-rest-posts-controller.php: the
page-number check and the prev/next links). Query values arrive as WordPress clients
send them: `tags=1,2`, or the array form `tags[]=1&tags[]=2` that `wpapi` uses.

Arguments outside what we serve are ignored, as WordPress ignores unknown ones.
Anonymous readers get WordPress's public view: posts `publish` only, comments
`approve` only, no `context=edit`. One difference: comments of `type` pingback are
public here (WordPress lets only editors ask for them); the default is still `comment`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from api.compat.wordpress import WordPressSite
from api.compat.wp_errors import WpError, invalid_page_number, invalid_params

Query = Mapping[str, Sequence[str]]

MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1
MAX_LIST = 100
MAX_TEXT = 200
COLLECTIONS = ("posts", "pages", "media", "users", "tags", "categories", "comments")

# --- routes -----------------------------------------------------------------------

_RESOURCE_ROUTE = re.compile(
    r"^/wp/v2/(posts|pages|media|users|tags|categories|comments)(?:/(\d+))?$"
)
_STATIC_ROUTE = re.compile(r"^/wp/v2/(types|taxonomies)(?:/([\w-]+))?$")


@dataclass(frozen=True)
class WpRoute:
    """`kind` is "index" (/), "namespace" (/wp/v2), or a collection name; `item` the id
    of one member (an int, or a type / taxonomy slug), None for the collection."""

    kind: str
    item: int | str | None = None


def rest_route(value: str | None) -> str:
    """The route in `?rest_route=/wp/v2/posts` (or the path after /wp-json),
    normalised: one leading slash, no trailing slash, `/` for the index."""
    route = "/" + (value or "").strip().strip("/")
    return re.sub(r"/{2,}", "/", route)


def match_route(route: str) -> WpRoute | None:
    route = rest_route(route)
    if route == "/":
        return WpRoute("index")
    if route == "/wp/v2":
        return WpRoute("namespace")
    if match := _RESOURCE_ROUTE.match(route):
        number = int(match.group(2)) if match.group(2) else None
        if number is not None and not 0 < number <= MAX_ID:
            return None
        return WpRoute(match.group(1), number)
    if match := _STATIC_ROUTE.match(route):
        return WpRoute(match.group(1), match.group(2))
    return None


# --- discovery ----------------------------------------------------------------------


def api_link(site: WordPressSite) -> str:
    """The `Link` header value by which clients find the API (WPAPI.discover)."""
    return f'<{site.api_root}>; rel="https://api.w.org/"'


def alternate_link(site: WordPressSite, kind: str, number: int) -> str:
    """Added on a post's own page next to api_link, as WordPress does."""
    route = {"post": "posts", "page": "pages"}[kind]
    return f'<{site.url(f"/wp/v2/{route}/{number}")}>; rel="alternate"; type="application/json"'


# --- list arguments -----------------------------------------------------------------

_ORDERBY = {
    "posts": ("author", "date", "id", "include", "modified", "parent", "relevance", "slug",
              "include_slugs", "title"),
    "users": ("id", "include", "name", "registered_date", "slug", "include_slugs", "email", "url"),
    "tags": ("id", "include", "name", "slug", "include_slugs", "term_group", "description",
             "count"),
    "comments": ("date", "date_gmt", "id", "include", "post", "parent", "type"),
}  # fmt: skip
_ORDERBY |= {
    "pages": (*_ORDERBY["posts"], "menu_order"),
    "media": _ORDERBY["posts"],
    "categories": _ORDERBY["tags"],
}
_DEFAULT_ORDER = {
    "posts": ("desc", "date"),
    "pages": ("desc", "date"),
    "media": ("desc", "date"),
    "comments": ("desc", "date_gmt"),
    "users": ("asc", "name"),
    "tags": ("asc", "name"),
    "categories": ("asc", "name"),
}
_COMMON = {"search", "include", "exclude", "offset"}
_ARGUMENTS = {
    "posts": _COMMON
    | {"after", "before", "author", "slug", "status", "categories", "tags", "sticky"},
    "pages": _COMMON | {"after", "before", "author", "slug", "status", "parent"},
    "media": _COMMON | {"after", "before", "author", "slug", "parent", "media_type", "mime_type"},
    "users": _COMMON | {"slug"},
    "tags": _COMMON | {"slug", "hide_empty", "post"},
    "categories": _COMMON | {"slug", "hide_empty", "post", "parent"},
    "comments": _COMMON | {"after", "before", "parent", "post", "status", "type"},
}
_POST_STATUSES = ("publish", "future", "draft", "pending", "private", "trash", "any")
_ENUMS = {
    "media_type": ("image", "video", "text", "application", "audio"),
    "type": ("comment", "pingback", "pings"),
}
_FORBIDDEN_CONTEXT = {
    "users": "Sorry, you are not allowed to list users.",
    "comments": "Sorry, you are not allowed to edit comments.",
    "tags": "Sorry, you are not allowed to edit terms in this taxonomy.",
    "categories": "Sorry, you are not allowed to edit terms in this taxonomy.",
}
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$", re.ASCII
)


@dataclass(frozen=True)
class WpListArgs:
    """A collection request, validated. Lists are empty when not given; `status` holds
    WordPress's names (publish, future, draft, ... / approve, hold, ...)."""

    resource: str
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    context: str = "view"
    search: str | None = None
    order: str = "desc"
    orderby: str = "date"
    include: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    author: tuple[int, ...] = ()
    tags: tuple[int, ...] = ()
    categories: tuple[int, ...] = ()
    post: tuple[int, ...] = ()
    parent: tuple[int, ...] = ()
    slug: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None
    sticky: bool | None = None
    hide_empty: bool | None = None
    type: str | None = None
    media_type: str | None = None
    mime_type: str | None = None

    @property
    def skip(self) -> int:
        """Rows to skip: `offset` when given (WordPress then ignores `page`)."""
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page


def values(query: Query, name: str) -> list[str]:
    """Every value of a parameter: `name`, `name[]` and `name[0]` forms, in order."""
    found: list[str] = []
    for key, items in query.items():
        if key == name or key == f"{name}[]" or re.fullmatch(rf"{re.escape(name)}\[\d+\]", key):
            found.extend([items] if isinstance(items, str) else items)
    return found


def _split(raw: Iterable[str]) -> list[str]:
    return [part for item in raw for part in re.split(r"[\s,]+", item) if part]


class _Reader:
    """Reads parameters, collecting every problem before failing (WordPress reports
    all invalid parameters at once)."""

    def __init__(self, query: Query):
        self.query = query
        self.problems: dict[str, tuple[str, str]] = {}

    def raw(self, name: str) -> str | None:
        found = values(self.query, name)
        return found[-1] if found else None

    def integer(self, name: str, default: int | None, low: int, high: int | None) -> int | None:
        raw = self.raw(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?\d{1,12}", raw.strip(), re.ASCII):
            self.problems[name] = ("rest_invalid_type", f"{name} is not of type integer.")
            return default
        number = int(raw)
        if number < low or (high is not None and number > high):
            message = (
                f"{name} must be between {low} (inclusive) and {high} (inclusive)"
                if high is not None
                else f"{name} must be greater than or equal to {low}"
            )
            self.problems[name] = ("rest_out_of_bounds", message)
            return default
        return number

    def ids(self, name: str) -> tuple[int, ...]:
        parts = _split(values(self.query, name))
        if len(parts) > MAX_LIST:
            self.problems[name] = (
                "rest_too_many_items",
                f"{name} must contain at most {MAX_LIST} items.",
            )
            return ()
        for index, part in enumerate(parts):
            if not re.fullmatch(r"\d{1,10}", part, re.ASCII) or int(part) > MAX_ID:
                self.problems[name] = (
                    "rest_invalid_type",
                    f"{name}[{index}] is not of type integer.",
                )
                return ()
        return tuple(dict.fromkeys(int(part) for part in parts))

    def texts(self, name: str) -> tuple[str, ...]:
        parts = _split(values(self.query, name))
        if len(parts) > MAX_LIST or any(len(part) > MAX_TEXT for part in parts):
            message = (
                f"{name} must hold at most {MAX_LIST} values of at most {MAX_TEXT} characters."
            )
            self.problems[name] = ("rest_invalid_param", message)
            return ()
        return tuple(dict.fromkeys(parts))

    def text(self, name: str) -> str | None:
        raw = self.raw(name)
        if raw is not None and len(raw) > MAX_TEXT:
            message = f"{name} must be at most {MAX_TEXT} characters long."
            self.problems[name] = ("rest_too_long", message)
            return None
        return raw or None

    def choice(self, name: str, allowed: Sequence[str], default: str | None) -> str | None:
        raw = self.raw(name)
        if raw is None or raw == "":
            return default
        if raw not in allowed:
            message = f"{name} is not one of {', '.join(allowed)}."
            self.problems[name] = ("rest_not_in_enum", message)
            return default
        return raw

    def boolean(self, name: str) -> bool | None:
        raw = self.raw(name)
        if raw is None:
            return None
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        self.problems[name] = ("rest_invalid_type", f"{name} is not of type boolean.")
        return None

    def date(self, name: str, timezone: str) -> datetime | None:
        raw = self.raw(name)
        if raw is None or raw == "":
            return None
        moment = None
        if _DATE.fullmatch(raw.strip()):
            try:
                moment = datetime.fromisoformat(raw.strip().replace("t", "T").replace("z", "Z"))
            except ValueError:
                moment = None
        if moment is None:
            self.problems[name] = ("rest_invalid_date", "Invalid date.")
            return None
        # Without an offset WordPress reads the date in the site's time zone.
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return moment.astimezone(UTC)


def list_args(
    resource: str, query: Query, *, staff: bool = False, timezone: str = "UTC"
) -> WpListArgs:
    """Validated arguments of GET /wp/v2/{resource}. Raises WpError (400
    rest_invalid_param for bad values, 401 for what only staff may ask)."""
    allowed = _ARGUMENTS[resource]
    read = _Reader(query)
    order_default, orderby_default = _DEFAULT_ORDER[resource]
    context = read.choice("context", ("view", "embed", "edit"), "view")
    found: dict[str, Any] = {
        "page": read.integer("page", 1, 1, None),
        "per_page": read.integer("per_page", 10, 1, MAX_PER_PAGE),
        "order": read.choice("order", ("asc", "desc"), order_default),
        "orderby": read.choice("orderby", _ORDERBY[resource], orderby_default),
    }
    for name in ("include", "exclude", "author", "tags", "categories", "post", "parent"):
        if name in allowed:
            found[name] = read.ids(name)
    if "offset" in allowed:
        found["offset"] = read.integer("offset", None, 0, None)
    if "search" in allowed:
        found["search"] = read.text("search")
    if "slug" in allowed:
        found["slug"] = read.texts("slug")
    for name in ("after", "before"):
        if name in allowed:
            found[name] = read.date(name, timezone)
    for name in ("sticky", "hide_empty"):
        if name in allowed:
            found[name] = read.boolean(name)
    for name in ("type", "media_type"):
        if name in allowed:
            found[name] = read.choice(name, _ENUMS[name], "comment" if name == "type" else None)
    if "mime_type" in allowed:
        found["mime_type"] = read.text("mime_type")
    if "status" in allowed:
        found["status"] = _statuses(resource, read, staff)
    if read.problems:
        raise invalid_params(read.problems)
    if context == "edit" and not staff:
        message = _FORBIDDEN_CONTEXT.get(
            resource, "Sorry, you are not allowed to edit posts in this post type."
        )
        raise WpError("rest_forbidden_context", message, 401)
    if found["orderby"] == "relevance" and not found.get("search"):
        raise WpError(
            "rest_no_search_term_defined",
            "You need to define a search term to order by relevance.",
            400,
        )
    if found["orderby"] == "include" and not found.get("include"):
        raise WpError(
            "rest_orderby_include_missing_include",
            "You need to define an include parameter to order by include.",
            400,
        )
    return WpListArgs(resource=resource, context=context or "view", **found)


def _statuses(resource: str, read: _Reader, staff: bool) -> tuple[str, ...]:
    if resource == "comments":
        status = read.raw("status") or "approve"
        if status != "approve" and not staff:
            raise WpError("rest_forbidden_param", "Query parameter not permitted: status", 401)
        return (status,)
    statuses = read.texts("status") or ("publish",)
    unknown = [status for status in statuses if status not in _POST_STATUSES]
    if unknown:
        read.problems["status"] = (
            "rest_not_in_enum",
            f"status[0] is not one of {', '.join(_POST_STATUSES)}.",
        )
    elif statuses != ("publish",) and not staff:
        read.problems["status"] = ("rest_forbidden_status", "Status is forbidden.")
    return statuses


def item_context(query: Query, resource: str, *, staff: bool = False) -> str:
    """`context` of GET /wp/v2/{resource}/{id}: view (default), embed, or edit for staff."""
    read = _Reader(query)
    context = read.choice("context", ("view", "embed", "edit"), "view") or "view"
    if read.problems:
        raise invalid_params(read.problems)
    if context == "edit" and not staff:
        message = _FORBIDDEN_CONTEXT.get(resource, "Sorry, you are not allowed to edit this post.")
        raise WpError("rest_forbidden_context", message, 401)
    return context


# --- paging -------------------------------------------------------------------------


@dataclass(frozen=True)
class WpPaging:
    page: int
    per_page: int
    total: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.per_page)

    @property
    def prev_page(self) -> int | None:
        return min(self.page - 1, max(self.total_pages, 1)) if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.total_pages > self.page else None


def paging(args: WpListArgs, total: int) -> WpPaging:
    """Checks the page against the total as WordPress does: past the last page of a
    non-empty collection is a 400 (rest_post_invalid_page_number and kin)."""
    result = WpPaging(args.page, args.per_page, total)
    if total > 0 and args.page > result.total_pages:
        raise invalid_page_number(args.resource)
    return result


def paging_headers(result: WpPaging, url_for_page: Callable[[int], str]) -> dict[str, str]:
    """X-WP-Total, X-WP-TotalPages and, when there is one, Link prev/next (the same
    request with another `page`). Expose them to browsers (CORS) too."""
    headers = {"X-WP-Total": str(result.total), "X-WP-TotalPages": str(result.total_pages)}
    links = [
        f'<{url_for_page(number)}>; rel="{rel}"'
        for rel, number in (("prev", result.prev_page), ("next", result.next_page))
        if number is not None
    ]
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def page_url(site: WordPressSite, route: str, query: Query, page: int) -> str:
    """The collection URL with the request's own parameters and `page` replaced."""
    pairs = [
        (key, value)
        for key, items in query.items()
        if key not in ("page", "rest_route")
        for value in ([items] if isinstance(items, str) else items)
    ]
    pairs.append(("page", str(page)))
    address = site.url(route)
    return f"{address}{'&' if '?' in address else '?'}{urlencode(pairs)}"


EXPOSED_HEADERS = ("X-WP-Total", "X-WP-TotalPages", "Link")


# --- comment submission -------------------------------------------------------------


@dataclass(frozen=True)
class WpCommentSubmission:
    """A WordPress comment form's POST, in our intake's terms (comments are Markdown
    here; a form sends plain text, which reads the same)."""

    post_id: int
    body: str
    parent_id: int | None
    author_name: str | None
    author_email: str | None
    author_url: str | None


def comment_submission(payload: Any) -> WpCommentSubmission:
    """POST /wp/v2/comments from an anonymous reader (JSON or form fields)."""
    if not isinstance(payload, Mapping):
        raise WpError("rest_invalid_json", "Invalid JSON body passed.", 400)
    post = _positive(payload.get("post"))
    if not post:
        raise WpError(
            "rest_comment_invalid_post_id",
            "Sorry, you are not allowed to create this comment without a post.",
            403,
        )
    if _positive(payload.get("author")):
        raise WpError(
            "rest_comment_invalid_author",
            "Sorry, you are not allowed to edit 'author' for comments.",
            403,
        )
    content = payload.get("content")
    if isinstance(content, Mapping):
        content = content.get("raw")
    if not isinstance(content, str) or not content.strip():
        raise WpError("rest_comment_content_invalid", "Invalid comment content.", 400)
    parent = payload.get("parent")
    parent_id = _positive(parent)
    if parent not in (None, "", 0, "0") and parent_id is None:
        raise invalid_params({"parent": ("rest_invalid_type", "parent is not of type integer.")})
    fields = {}
    for name in ("author_name", "author_email", "author_url"):
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            raise invalid_params({name: ("rest_invalid_type", f"{name} is not of type string.")})
        fields[name] = value or None
    return WpCommentSubmission(post_id=post, body=content, parent_id=parent_id, **fields)


def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str) and re.fullmatch(r"\d{1,10}", value.strip(), re.ASCII):
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return None
