"""The WordPress REST API and the Ghost Content API in our contract (openapi.yaml),
each under its own tag.

Their routes are plain Flask rules (api/compat/wp_routes.py, ghost_routes.py): their
shapes are WordPress's and Ghost's, documented by them, so the contract names each
operation, its parameters and its answers (objects in the other CMS's shape, errors in
its error shape) and points at their documentation rather than restating every field.
Paths are written without a trailing slash (the linters' rule); both forms are served
(Ghost's client adds one).
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.routing import Map, Rule

from api.compat.wp_request import MAX_PER_PAGE

WP_TAG = "WordPress REST API"
GHOST_TAG = "Ghost Content API"
WP_DOCS = "https://developer.wordpress.org/rest-api/reference/"
GHOST_DOCS = "https://docs.ghost.org/content-api/"

_OBJECT = {"type": "object", "additionalProperties": True}
_WP_ERROR = {
    "type": "object",
    "required": ["code", "message", "data"],
    "properties": {
        "code": {"type": "string", "description": "WordPress's error code"},
        "message": {"type": "string"},
        "data": {"type": "object", "additionalProperties": True},
    },
}
_GHOST_ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "type"],
                "properties": {"message": {"type": "string"}, "type": {"type": "string"}},
                "additionalProperties": True,
            },
        }
    },
}
_WP_HEADERS = {
    "X-WP-Total": {"description": "Items in the whole collection", "schema": {"type": "integer"}},
    "X-WP-TotalPages": {"description": "Pages of `per_page`", "schema": {"type": "integer"}},
    "Link": {
        "description": 'Discovery (`rel="https://api.w.org/"`) and the prev/next pages',
        "schema": {"type": "string"},
    },
}


def _query(name: str, kind: str, description: str, **extra: Any) -> dict:
    return {
        "in": "query",
        "name": name,
        "required": extra.pop("required", False),
        "description": description,
        "schema": {"type": kind, **extra},
    }


def _path(name: str, kind: str, description: str) -> dict:
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": {"type": kind}}  # fmt: skip


def _errors(schema: dict, codes: dict[int, str]) -> dict:
    return {
        str(code): {"description": text, "content": {"application/json": {"schema": schema}}}
        for code, text in codes.items()
    }


_WP_GLOBAL = [
    _query("_fields", "string", "Only these fields (comma-separated, nested with dots)"),
    _query("_embed", "string", "Embed linked resources (all, or the named relations)"),
    _query("_envelope", "string", "Status and headers in the body, always 200"),
]
_WP_LIST = [
    _query("page", "integer", "Page of the collection", minimum=1),
    _query("per_page", "integer", "Items per page", minimum=1, maximum=MAX_PER_PAGE),
    _query("offset", "integer", "Items to skip (instead of `page`)", minimum=0),
    _query("search", "string", "Words to look for"),
    _query("include", "string", "Only these ids (comma-separated, or `include[]=`)"),
    _query("exclude", "string", "Not these ids"),
    _query("order", "string", "asc or desc", enum=["asc", "desc"]),
    _query("orderby", "string", "Sort attribute (as WordPress names them)"),
]
_WP_EXTRA = {
    "posts": ["slug", "author", "tags", "categories", "after", "before", "status", "sticky"],
    "pages": ["slug", "author", "after", "before", "status", "parent"],
    "users": ["slug"],
    "tags": ["slug", "post", "hide_empty"],
    "categories": ["slug", "post", "hide_empty", "parent"],
    "comments": ["post", "parent", "after", "before", "type", "status"],
    "media": ["media_type", "mime_type", "parent"],
}
_WP_EXTRA_PARAMETERS = {
    name: _query(name, "string", f"As WordPress's `{name}`")
    for name in dict.fromkeys(name for names in _WP_EXTRA.values() for name in names)
}
_WP_NOUN = {
    "posts": ("listWpPosts", "getWpPost", "published posts"),
    "pages": ("listWpPages", "getWpPage", "published pages"),
    "users": ("listWpUsers", "getWpUser", "authors, as WordPress users (public fields)"),
    "tags": ("listWpTags", "getWpTag", "tags"),
    "categories": ("listWpCategories", "getWpCategory", "tags, as categories"),
    "comments": ("listWpComments", "getWpComment", "approved comments and pingbacks"),
    "media": ("listWpMedia", "getWpMediaItem", "images"),
}


def _wp_read(operation_id: str, summary: str, parameters: list, *, many: bool) -> dict:
    body = {"type": "array", "items": _OBJECT} if many else _OBJECT
    headers = dict(_WP_HEADERS) if many else {"Link": _WP_HEADERS["Link"]}
    return {
        "tags": [WP_TAG],
        "operationId": operation_id,
        "summary": summary,
        "description": f"{summary}, in WordPress's own shape ({WP_DOCS}); also served as "
        "`/?rest_route=/wp/v2/…`. Public; cached and invalidated like `/v1` reads.",
        "parameters": parameters,
        "security": [],
        "responses": {
            "200": {
                "description": "As WordPress answers",
                "headers": headers,
                "content": {"application/json": {"schema": body}},
            },
            **_errors(
                _WP_ERROR,
                {
                    400: "Invalid parameter(s) (`rest_invalid_param`) or a page past the last",
                    401: "Asked for what only staff see (`context=edit`, `status`)",
                    404: "No such item (`rest_post_invalid_id`, ...) or route",
                },
            ),
        },
    }


def _wordpress_paths() -> dict[str, dict]:
    paths = {
        "/wp-json": {
            "get": _wp_read(
                "getWpIndex",
                "The WordPress API index: site, namespaces, routes and their arguments",
                [],
                many=False,
            )
        }
    }
    for resource, (list_id, get_id, noun) in _WP_NOUN.items():
        extra = [_WP_EXTRA_PARAMETERS[name] for name in _WP_EXTRA[resource]]
        paths[f"/wp-json/wp/v2/{resource}"] = {
            "get": _wp_read(list_id, f"List {noun}", [*_WP_LIST, *extra, *_WP_GLOBAL], many=True)
        }
        paths[f"/wp-json/wp/v2/{resource}/{{id}}"] = {
            "get": _wp_read(
                get_id,
                f"Read one of the {noun} by id",
                [_path("id", "integer", "The item's id"), *_WP_GLOBAL],
                many=False,
            )
        }
    paths["/wp-json/wp/v2/comments"]["post"] = {
        "tags": [WP_TAG],
        "operationId": "submitWpComment",
        "summary": "Submit a comment as a WordPress comment form does",
        "description": "Anonymous: `post`, `content`, `author_name`, `author_email`, "
        "`author_url`, `parent` (JSON or form fields). Goes through every rule of our "
        "intake, the moderation queue and the comment rate limits; 201 with the comment, "
        "`status` `hold` while it waits for a moderator.",
        "security": [],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["post", "content"],
                        "properties": {
                            "post": {"type": "integer"},
                            "content": {"type": "string"},
                            "parent": {"type": "integer"},
                            "author_name": {"type": "string"},
                            "author_email": {"type": "string"},
                            "author_url": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": {
                "description": "Stored: approved, or held for a moderator (`hold`)",
                "content": {"application/json": {"schema": _OBJECT}},
            },
            **_errors(
                _WP_ERROR,
                {
                    400: "No content, or invalid fields",
                    403: "Comments are closed, or `author` was sent",
                    404: "No published post with this id",
                    409: "A duplicate (`comment_duplicate`)",
                    429: "Too fast (`comment_flood`) or over a rate limit",
                },
            ),
        },
    }
    return paths


_GHOST_COMMON = [
    _query(
        "key",
        "string",
        "A Content API key (`/v1/content-keys`)",
        required=True,
        pattern="^[0-9a-f]{26}$",
    ),
    {
        "in": "header",
        "name": "Accept-Version",
        "required": False,
        "description": "Accepted and answered with `Content-Version` (Ghost 5's shapes)",
        "schema": {"type": "string"},
    },
]
_GHOST_READ = [
    _query("include", "string", "authors,tags (posts, pages) or count.posts (authors, tags)"),
    _query("fields", "string", "Only these fields (comma-separated)"),
    _query("formats", "string", "html and/or plaintext (posts, pages)"),
]
_GHOST_BROWSE = [
    _query("filter", "string", "NQL: tag:, tags:[a,b], author:, featured:, published_at:>, "
           "slug:, id:, with + (and), `,` (or) and - (not)"),
    _query("limit", "string", "Items per page (at most 100), or `all` (capped)"),
    _query("page", "integer", "Page", minimum=1),
    _query("order", "string", "`field asc|desc`, comma-separated"),
]  # fmt: skip
_GHOST_NOUN = {
    "posts": "Posts",
    "pages": "Pages",
    "authors": "Authors",
    "tags": "Tags",
}


def _ghost_read(operation_id: str, summary: str, parameters: list, many: bool) -> dict:
    body: dict = {"type": "object", "additionalProperties": True}
    if many:
        body = {
            "type": "object",
            "required": ["meta"],
            "properties": {"meta": {"type": "object", "additionalProperties": True}},
            "additionalProperties": True,
        }
    return {
        "tags": [GHOST_TAG],
        "operationId": operation_id,
        "summary": summary,
        "description": f"{summary}, in Ghost's own shape ({GHOST_DOCS}). Needs `key`; "
        "cached and invalidated like `/v1` reads.",
        "parameters": parameters,
        "security": [],
        "responses": {
            "200": {
                "description": "As Ghost answers",
                "headers": {"Content-Version": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": body}},
            },
            **_errors(
                _GHOST_ERROR,
                {
                    400: "A filter that does not parse (`BadRequestError`)",
                    401: "An unknown or revoked key (`UnauthorizedError`)",
                    403: "No key (`NoPermissionError`)",
                    404: "No such item (`NotFoundError`)",
                    422: "An unknown include or order (`ValidationError`)",
                },
            ),
        },
    }


def _ghost_paths() -> dict[str, dict]:
    base = "/ghost/api/content"
    paths = {}
    for resource, noun in _GHOST_NOUN.items():
        singular = noun[:-1]
        paths[f"{base}/{resource}"] = {
            "get": _ghost_read(
                f"browseGhost{noun}",
                f"Browse {resource}",
                [*_GHOST_COMMON, *_GHOST_READ, *_GHOST_BROWSE],
                True,
            )
        }
        paths[f"{base}/{resource}/{{id}}"] = {
            "get": _ghost_read(
                f"readGhost{singular}",
                f"Read one of the {resource} by its Ghost id",
                [_path("id", "string", "Its 24-hex Ghost id"), *_GHOST_COMMON, *_GHOST_READ],
                False,
            )
        }
        paths[f"{base}/{resource}/slug/{{slug}}"] = {
            "get": _ghost_read(
                f"readGhost{singular}BySlug",
                f"Read one of the {resource} by slug",
                [_path("slug", "string", "Its slug"), *_GHOST_COMMON, *_GHOST_READ],
                False,
            )
        }
    paths[f"{base}/settings"] = {
        "get": _ghost_read(
            "browseGhostSettings", "The site's public settings", _GHOST_COMMON, False
        )
    }
    return paths


def _components() -> tuple[dict[int, str], dict[int, str]]:
    """The shared parameters and error schemas, by identity: (parameters, schemas)."""
    parameters: dict[int, str] = {}
    for prefix, group in (
        ("Wp", _WP_GLOBAL),
        ("Wp", _WP_LIST),
        ("Wp", list(_WP_EXTRA_PARAMETERS.values())),
        ("Ghost", _GHOST_COMMON),
        ("Ghost", _GHOST_READ),
        ("Ghost", _GHOST_BROWSE),
    ):
        for parameter in group:
            words = parameter["name"].replace("-", "_").strip("_").split("_")
            parameters[id(parameter)] = prefix + "".join(word.title() for word in words)
    return parameters, {id(_WP_ERROR): "WpError", id(_GHOST_ERROR): "GhostError"}


def _referenced(node: Any, parameters: dict[int, str], schemas: dict[int, str]) -> Any:
    if id(node) in parameters:
        return parameters[id(node)]  # apispec writes a component's name as its $ref
    if id(node) in schemas:
        return {"$ref": f"#/components/schemas/{schemas[id(node)]}"}
    if isinstance(node, dict):
        return {key: _referenced(value, parameters, schemas) for key, value in node.items()}
    if isinstance(node, list):
        return [_referenced(value, parameters, schemas) for value in node]
    return node


def document(spec) -> None:
    """Add both APIs to the apispec `spec`, each under its tag; shared parameters and
    error shapes once, as components."""
    spec.tag({"name": WP_TAG, "description": f"WordPress REST API v2 ({WP_DOCS}); docs/compat.md"})
    spec.tag(
        {"name": GHOST_TAG, "description": f"Ghost Content API ({GHOST_DOCS}); docs/compat.md"}
    )
    parameters, schemas = _components()
    shared = (*_WP_GLOBAL, *_WP_LIST, *_WP_EXTRA_PARAMETERS.values(),
              *_GHOST_COMMON, *_GHOST_READ, *_GHOST_BROWSE)  # fmt: skip
    for parameter in shared:
        copy = json.loads(json.dumps(parameter))
        spec.components.parameter(parameters[id(parameter)], parameter["in"], copy)
    spec.components.schema("WpError", json.loads(json.dumps(_WP_ERROR)))
    spec.components.schema("GhostError", json.loads(json.dumps(_GHOST_ERROR)))
    paths = _referenced({**_wordpress_paths(), **_ghost_paths()}, parameters, schemas)
    # Every object its own copy, so the YAML has no anchors.
    documented = json.loads(json.dumps(paths))
    for path, operations in documented.items():
        # The documentation is attached as flask-smorest attaches a view's: to a rule.
        rule = path.replace("{id}", "<int:id>" if path.startswith("/wp-") else "<id>")
        rule = Rule(rule.replace("{slug}", "<slug>"), defaults={})
        Map([rule])
        parameters: list[dict] = []
        for operation in operations.values():
            found = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
            operation["parameters"] = [p for p in operation.get("parameters", []) if p not in found]
            parameters = parameters or found
        spec.path(rule=rule, operations=operations, parameters=parameters)
