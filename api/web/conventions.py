"""The conventions every operation shares, written into the contract.

The shared plumbing does some things to every operation (api/web/conditional.py gives
every JSON read an ETag and answers If-None-Match with a 304; api/web/responses.py links
the next page; api/web/ratelimits.py writes the RateLimit fields). Declaring them route by
route would let the contract drift from what the plumbing does, so this pass derives
them from each operation's shape, once, when the document is rendered:

* every operation has `security`; one that declares none is public (`security: []`);
* a GET answering JSON takes `If-None-Match`, sends `ETag` and may answer 304;
* a PATCH or DELETE that may answer 412 takes `If-Match` (always optional: no 428);
* a page of a collection (`items` + `next`) sends `Link`;
* an operation that may answer 429 is rate limited: its answers carry `RateLimit` and
  `RateLimit-Policy` (and the `X-RateLimit-*` trio), its 429 `Retry-After`;
* a property of a component that only responses use is `required` unless its field
  says when it is absent (`metadata={"x-absent": "why"}`, moved into its description);
* a request body property with a default is optional and says its default in words:
  a declared `default` makes generators (openapi-typescript) type it as required.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

ABSENT = "x-absent"

HEADERS = {
    "ETag": {
        "description": "Hash of the exact body; send it back in `If-None-Match` (304) or, "
        "on a change, in `If-Match` (412 when it is stale)",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next and previous pages (RFC 8288): `<…>; rel="next"`, '
        '`<…>; rel="prev"`, relative to the API root; absent on a single page',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "The limits this request counts against (IETF draft "
        'httpapi-ratelimit-headers), e.g. `"ip-60s";q=5;w=60, "post-60s";q=30;w=60`',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of each limit: `"ip-60s";r=4;t=55` (remaining, '
        "seconds to reset)",
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {
        "description": "The tightest limit's quota (the pre-IETF header clients know)",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "What is left of the tightest limit",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the tightest limit resets, in Unix seconds",
        "schema": {"type": "integer"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    },
}
RATE_LIMIT_HEADERS = (
    "RateLimit-Policy",
    "RateLimit",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)
PARAMETERS = {
    "IfNoneMatch": {
        "in": "header",
        "name": "If-None-Match",
        "required": False,
        "description": "The `ETag` of a copy you hold: 304 without a body if it is current",
        "schema": {"type": "string"},
    },
    "IfMatch": {
        "in": "header",
        "name": "If-Match",
        "required": False,
        "description": "The `ETag` of your last GET (as the same caller): the change is "
        "refused with 412 if the resource changed since. Optional: without it the "
        "change applies whatever happened meanwhile",
        "schema": {"type": "string"},
    },
}
NOT_MODIFIED = {
    "description": "Not Modified: the copy named by `If-None-Match` is current (no body)",
    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
}


def finish(document: dict) -> dict:
    """Apply the conventions to a rendered document (see the module docstring)."""
    components = document.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    components.setdefault("parameters", {}).update(PARAMETERS)
    components.setdefault("responses", {})["NOT_MODIFIED"] = NOT_MODIFIED
    schemas = components.get("schemas", {})
    for method, operation in _operations(document):
        operation.setdefault("security", [])
        responses = operation.setdefault("responses", {})
        if method == "get" and (
            _answers_json(responses.get("200")) or _declares_etag(responses.get("200"))
        ):
            _add_parameter(operation, "IfNoneMatch")
            _add_headers(responses["200"], "ETag")
            responses["304"] = {"$ref": "#/components/responses/NOT_MODIFIED"}
        # A POST that acts on a resource's current state says so with `x-if-match`.
        if operation.pop("x-if-match", False) or (
            method in ("patch", "delete") and "412" in responses
        ):
            _add_parameter(operation, "IfMatch")
        for code, response in responses.items():
            if code.startswith("2") and _is_page(response, schemas):
                _add_headers(response, "Link")
        if "429" in responses:
            for code, response in responses.items():
                if code.startswith("2") or code == "429":
                    _add_headers(response, *RATE_LIMIT_HEADERS)
            _add_headers(responses["429"], "Retry-After")
        operation["responses"] = dict(sorted(responses.items()))
    if "PaginationMetadata" not in set(usage_names(document)):
        schemas.pop("PaginationMetadata", None)  # flask-smorest's, for pages we do not use
    _mark_required(document, schemas)
    _describe_request_defaults(document, schemas)
    for schema in schemas.values():  # an x-absent of a component requests use too
        for definition in schema.get("properties", {}).values():
            definition.pop(ABSENT, None)
    return document


def _operations(document: dict) -> Iterator[tuple[str, dict]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method != "parameters":
                yield method, operation


def _declares_etag(response: dict | None) -> bool:
    """A read in another format (a feed) that declares its ETag is conditional too."""
    return bool(response) and "ETag" in response.get("headers", {})


def _answers_json(response: dict | None) -> bool:
    return bool(response) and "application/json" in response.get("content", {})


def _add_parameter(operation: dict, name: str) -> None:
    reference = {"$ref": f"#/components/parameters/{name}"}
    parameters = operation.setdefault("parameters", [])
    if reference not in parameters:
        parameters.append(reference)


def _add_headers(response: dict, *names: str) -> None:
    if "$ref" in response:
        return  # a shared response component (BAD_REQUEST): left as it is
    headers = response.setdefault("headers", {})
    for name in names:
        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})


def _schema_name(reference: dict | None) -> str | None:
    ref = (reference or {}).get("$ref", "")
    return ref.rpartition("/")[2] if ref.startswith("#/components/schemas/") else None


def _is_page(response: dict, schemas: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    properties = schemas.get(_schema_name(schema), {}).get("properties", {})
    return "items" in properties and "next" in properties


def _references(node) -> Iterator[str]:
    if isinstance(node, dict):
        if name := _schema_name(node):
            yield name
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _reachable(roots: Iterator[str], schemas: dict) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            stack.extend(_references(schemas[name]))
    return seen


def usage_names(document: dict) -> Iterator[str]:
    for _, operation in _operations(document):
        yield from _references(operation)


def usage(document: dict) -> tuple[set[str], set[str]]:
    """(components reachable from request bodies, components reachable from responses)."""
    schemas = document.get("components", {}).get("schemas", {})
    operations = [operation for _, operation in _operations(document)]
    requests = _reachable(
        (n for op in operations for n in _references(op.get("requestBody", {}))), schemas
    )
    responses = _reachable(
        (n for op in operations for n in _references(op.get("responses", {}))), schemas
    )
    return requests, responses


def _mark_required(document: dict, schemas: dict) -> None:
    requests, responses = usage(document)
    for name in sorted(responses - requests):
        schema = schemas[name]
        required = list(schema.get("required", []))
        for prop, definition in schema.get("properties", {}).items():
            absent = definition.pop(ABSENT, None)
            if absent:
                note = f"Absent {absent}."
                text = definition.get("description")
                definition["description"] = f"{text.rstrip('.')}. {note}" if text else note
            elif prop not in required:
                required.append(prop)
        if required:
            schema["required"] = required


def _describe_request_defaults(document: dict, schemas: dict) -> None:
    requests, _ = usage(document)
    for name in sorted(requests):
        for definition in schemas[name].get("properties", {}).values():
            if "default" in definition:
                shown = f"Default: `{json.dumps(definition.pop('default'))}`."
                text = definition.get("description", "").rstrip(".")
                definition["description"] = f"{text}. {shown}" if text else shown
