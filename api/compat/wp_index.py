"""The WordPress REST API index, `GET /wp-json/` (and `?rest_route=/`), and the
namespace index `GET /wp-json/wp/v2`.

Clients build themselves from it: `wpapi` (WPAPI.discover, then `new WPAPI({routes})`,
node-wpapi lib/route-tree.js) reads each route's `namespace`, its `methods`, and the
names of `endpoints[].args` of its GET endpoints, from which it makes its query
methods (`.tags()`, `.author()`, `.forPost()`, ...); a route's named group
`(?P<id>[\\d]+)` becomes `.id()`. So the index lists exactly the routes and arguments
we serve, in WordPress's own words (descriptions, types, defaults and bounds as
WordPress registers them; wordpress-develop tests/qunit/fixtures/wp-api-generated.js,
`mockedApiResponse.Schema`).

Top level as WordPress sends it: name, description, url, home, gmt_offset,
timezone_string, page_for_posts, page_on_front, show_on_front, namespaces,
authentication, site_logo, site_icon, site_icon_url, routes, _links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from api.compat.wordpress import WordPressSite
from api.compat.wp_request import MAX_PER_PAGE

NAMESPACE = "wp/v2"


def _arg(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "type": kind, **extra, "required": False}


def _ids(description: str) -> dict[str, Any]:
    return _arg("array", description, items={"type": "integer"}, default=[])


def _context() -> dict[str, Any]:
    return _arg(
        "string",
        "Scope under which the request is made; determines fields present in response.",
        enum=["view", "embed", "edit"],
        default="view",
    )


def _collection_args(
    noun: str, order: str, orderby: str, orderby_values: list[str]
) -> dict[str, Any]:
    return {
        "context": _context(),
        "page": _arg("integer", "Current page of the collection.", default=1, minimum=1),
        "per_page": _arg(
            "integer",
            "Maximum number of items to be returned in result set.",
            default=10,
            minimum=1,
            maximum=MAX_PER_PAGE,
        ),
        "search": _arg("string", "Limit results to those matching a string."),
        "exclude": _ids("Ensure result set excludes specific IDs."),
        "include": _ids("Limit result set to specific IDs."),
        "offset": _arg("integer", "Offset the result set by a specific number of items."),
        "order": _arg(
            "string",
            "Order sort attribute ascending or descending.",
            default=order,
            enum=["asc", "desc"],
        ),
        "orderby": _arg(
            "string", f"Sort collection by {noun} attribute.", default=orderby, enum=orderby_values
        ),
    }


def _dates(noun: str) -> dict[str, Any]:
    return {
        "after": _arg(
            "string",
            f"Limit response to {noun} published after a given ISO8601 compliant date.",
            format="date-time",
        ),
        "before": _arg(
            "string",
            f"Limit response to {noun} published before a given ISO8601 compliant date.",
            format="date-time",
        ),
    }


def _slug(nouns: str) -> dict[str, Any]:
    return _arg(
        "array",
        f"Limit result set to {nouns} with one or more specific slugs.",
        items={"type": "string"},
    )


_POST_ORDERBY = ["author", "date", "id", "include", "modified", "parent", "relevance", "slug",
                 "include_slugs", "title"]  # fmt: skip
_TERM_ORDERBY = ["id", "include", "name", "slug", "include_slugs", "term_group", "description",
                 "count"]  # fmt: skip


_TERMS_ASSIGNED = "Limit result set to items with specific terms assigned in the {} taxonomy."


def _list_args(resource: str) -> dict[str, Any]:
    if resource in ("posts", "pages", "media"):
        orderby = _POST_ORDERBY + (["menu_order"] if resource == "pages" else [])
        args = _collection_args("post", "desc", "date", orderby) | _dates("posts")
        args |= {
            "author": _ids("Limit result set to posts assigned to specific authors."),
            "slug": _slug("posts"),
        }
        if resource == "posts":
            args |= {
                "status": _arg(
                    "array",
                    "Limit result set to posts assigned one or more statuses.",
                    items={"enum": ["publish", "future", "draft", "any"], "type": "string"},
                    default="publish",
                ),
                "categories": _ids(_TERMS_ASSIGNED.format("categories")),
                "tags": _ids(_TERMS_ASSIGNED.format("tags")),
                "sticky": _arg("boolean", "Limit result set to items that are sticky."),
            }
        if resource == "pages":
            args["parent"] = _ids("Limit result set to items with particular parent IDs.")
        if resource == "media":
            args |= {
                "parent": _ids("Limit result set to items with particular parent IDs."),
                "media_type": _arg(
                    "string",
                    "Limit result set to attachments of a particular media type.",
                    enum=["image", "video", "text", "application", "audio"],
                ),
                "mime_type": _arg(
                    "string", "Limit result set to attachments of a particular MIME type."
                ),
            }
        return args
    if resource == "users":
        orderby = [
            "id",
            "include",
            "name",
            "registered_date",
            "slug",
            "include_slugs",
            "email",
            "url",
        ]
        return _collection_args("user", "asc", "name", orderby) | {"slug": _slug("users")}
    if resource in ("tags", "categories"):
        args = _collection_args("term", "asc", "name", _TERM_ORDERBY) | {
            "hide_empty": _arg(
                "boolean", "Whether to hide terms not assigned to any posts.", default=False
            ),
            "post": _arg(
                "integer", "Limit result set to terms assigned to a specific post.", default=None
            ),
            "slug": _slug("terms"),
        }
        if resource == "categories":
            args["parent"] = _arg(
                "integer", "Limit result set to terms assigned to a specific parent."
            )
        return args
    orderby = ["date", "date_gmt", "id", "include", "post", "parent", "type"]
    return (
        _collection_args("comment", "desc", "date_gmt", orderby)
        | _dates("comments")
        | {
            "parent": _ids("Limit result set to comments of specific parent IDs."),
            "post": _ids("Limit result set to comments assigned to specific post IDs."),
            "status": _arg(
                "string",
                "Limit result set to comments assigned a specific status. Requires authorization.",
                default="approve",
            ),
            "type": _arg(
                "string",
                "Limit result set to comments assigned a specific type.",
                default="comment",
                enum=["comment", "pingback", "pings"],
            ),
        }
    )


def _comment_create_args() -> dict[str, Any]:
    return {
        "author_email": _arg("string", "Email address for the comment author.", format="email"),
        "author_name": _arg("string", "Display name for the comment author."),
        "author_url": _arg("string", "URL for the comment author.", format="uri"),
        "content": _arg(["object", "string"], "The content for the comment."),
        "parent": _arg("integer", "The ID for the parent of the comment.", default=0),
        "post": _arg("integer", "The ID of the associated post object.", default=0),
    }


_ITEM_NOUN = {
    "posts": "post",
    "pages": "post",
    "media": "post",
    "users": "user",
    "tags": "term",
    "categories": "term",
    "comments": "comment",
}


def routes(site: WordPressSite) -> dict[str, Any]:
    """Every route we answer, keyed by WordPress's route pattern."""
    table: dict[str, Any] = {
        f"/{NAMESPACE}": {
            "namespace": NAMESPACE,
            "methods": ["GET"],
            "endpoints": [
                {
                    "methods": ["GET"],
                    "args": {
                        "namespace": {"default": NAMESPACE, "required": False},
                        "context": {"default": "view", "required": False},
                    },
                }
            ],
            "_links": {"self": site.url(f"/{NAMESPACE}")},
        }
    }
    for resource in ("posts", "pages", "media", "users", "tags", "categories", "comments"):
        path = f"/{NAMESPACE}/{resource}"
        endpoints = [{"methods": ["GET"], "args": _list_args(resource)}]
        if resource == "comments":
            endpoints.append({"methods": ["POST"], "args": _comment_create_args()})
        table[path] = {
            "namespace": NAMESPACE,
            "methods": [method for endpoint in endpoints for method in endpoint["methods"]],
            "endpoints": endpoints,
            "_links": {"self": [{"href": site.url(path)}]},
        }
        table[path + "/(?P<id>[\\d]+)"] = {
            "namespace": NAMESPACE,
            "methods": ["GET"],
            "endpoints": [
                {
                    "methods": ["GET"],
                    "args": {
                        "id": _arg("integer", f"Unique identifier for the {_ITEM_NOUN[resource]}."),
                        "context": _context(),
                    },
                }
            ],
        }
    for resource, key, noun in (
        ("types", "type", "post type"),
        ("taxonomies", "taxonomy", "taxonomy"),
    ):
        path = f"/{NAMESPACE}/{resource}"
        table[path] = {
            "namespace": NAMESPACE,
            "methods": ["GET"],
            "endpoints": [{"methods": ["GET"], "args": {"context": _context()}}],
            "_links": {"self": [{"href": site.url(path)}]},
        }
        table[f"{path}/(?P<{key}>[\\w-]+)"] = {
            "namespace": NAMESPACE,
            "methods": ["GET"],
            "endpoints": [
                {
                    "methods": ["GET"],
                    "args": {
                        key: _arg("string", f"An alphanumeric identifier for the {noun}."),
                        "context": _context(),
                    },
                }
            ],
        }
    return table


def _site_address(site: WordPressSite) -> str:
    """Where the API lives ("WordPress address"): the index URL without its API part."""
    parts = urlsplit(site.api_root)
    path = parts.path.rstrip("/").removesuffix("/wp-json").removesuffix("/index.php")
    return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}"


def gmt_offset(timezone: str, now: datetime | None = None) -> tuple[Any, str]:
    """(gmt_offset, timezone_string) as WordPress shows them: a default UTC install has
    "0" and ""; a named zone its current offset in hours and its name."""
    if timezone in ("UTC", "Etc/UTC"):
        return "0", ""
    moment = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    hours = moment.utcoffset().total_seconds() / 3600  # type: ignore[union-attr]
    return (int(hours) if hours.is_integer() else hours), timezone


def wp_index(site: WordPressSite, *, now: datetime | None = None) -> dict[str, Any]:
    """GET /wp-json/: the site and every route with its methods and arguments."""
    offset, zone = gmt_offset(site.timezone, now)
    index_route = {
        "namespace": "",
        "methods": ["GET"],
        "endpoints": [
            {"methods": ["GET"], "args": {"context": {"default": "view", "required": False}}}
        ],
        "_links": {"self": site.url("/")},
    }
    return {
        "name": site.name,
        "description": site.description,
        "url": _site_address(site),
        "home": site.home.rstrip("/"),
        "gmt_offset": offset,
        "timezone_string": zone,
        "page_for_posts": 0,
        "page_on_front": 0,
        "show_on_front": "posts",
        "namespaces": [NAMESPACE],
        "authentication": [],
        "site_logo": 0,
        "site_icon": 0,
        "site_icon_url": "",
        "routes": {"/": index_route} | routes(site),
        "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
    }


def namespace_index(site: WordPressSite) -> dict[str, Any]:
    """GET /wp-json/wp/v2: the namespace and its routes."""
    return {
        "namespace": NAMESPACE,
        "routes": routes(site),
        "_links": {"up": [{"href": site.url("/")}]},
    }
