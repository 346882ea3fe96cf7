"""Request parsing that no hostile input can turn into a 500.

Every blueprint is built from this module's `Blueprint`, whose parser refuses JSON
nested deeply enough to exhaust the stack, and text holding control characters or lone
surrogates (NUL and surrogates cannot even be stored in PostgreSQL). URLs that are not
valid UTF-8 are refused before routing.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes

import flask_smorest
import marshmallow as ma
from flask import Flask, request
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from api.web.problems import problem

# Control characters other than tab and newlines, and lone surrogates (which JSON escapes
# can produce but UTF-8 cannot store).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _holds_unstorable_text(data) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class ApiParser(FlaskParser):
    # A mistyped filter (`?tags=` for `?tag=`) must not quietly return everything.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req):
        # An operation that takes a JSON body gets one: nothing, or something else, is a
        # 400 rather than an empty object that would quietly change nothing.
        if not req.get_data(cache=True):
            raise json.JSONDecodeError("a JSON body is required", "empty", 0)
        if not is_json_request(req):
            raise json.JSONDecodeError("send JSON (Content-Type: application/json)", "type", 0)
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", "nested", 0) from None
        if _holds_unstorable_text(data):
            raise json.JSONDecodeError("control characters are not allowed", "control", 0)
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()


def plain_json_body(schema: ma.Schema) -> dict | None:
    """The request's JSON body loaded by `schema`, or None when anything about it is not
    plain (no body, not JSON, bad JSON, control characters, a field the schema refuses).

    For a hot operation that skips webargs' per-request work (a new schema instance,
    its location dispatch): the caller hands every request this returns None for to
    its documented `@blp.arguments` path, which refuses it with the usual problem, so
    the two paths answer alike. Same checks as `ApiParser`, same schema.
    """
    if not is_json_request(request):
        return None
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        data = json.loads(raw.decode(request.mimetype_params.get("charset", "utf-8")))
    except (ValueError, RecursionError, LookupError):  # bad JSON or charset, too deep
        return None
    if not isinstance(data, dict) or _holds_unstorable_text(data):
        return None
    try:
        return schema.load(data)
    except ma.ValidationError:
        return None


def _undecodable(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return "\x00" in text


class RowIdConverter(IntegerConverter):
    """`<int:…>` in a URL: an id that fits the databases' INTEGER columns.

    PostgreSQL refuses a larger number in a query (and SQLite a number past 64 bits),
    so a path like `/v1/tokens/2147483648` matches no route: a 404 like any id that
    names nothing, and the contract says `maximum: 2147483647`.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any route is added: the rules are compiled with the converter they name."""
    app.url_map.converters["int"] = RowIdConverter


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_long_chunked_bodies():
        """A body sent without Content-Length (chunked) is read up to the size limit
        and cut there by werkzeug, silently: a 413 instead, as for a declared length.
        (Multipart bodies are left to the form parser, which raises its own 413, and to
        the routes that allow them more.)"""
        limit = request.max_content_length
        if (
            request.content_length is not None
            or limit is None
            or request.mimetype == "multipart/form-data"
            or request.method in ("GET", "HEAD", "OPTIONS")
        ):
            return None
        if len(request.get_data(cache=True)) >= limit:
            return problem(
                413, "Content too large", "The request body is larger than this server accepts."
            )
        return None

    @app.before_request
    def refuse_undecodable_urls():
        path = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")
        query = unquote_to_bytes(request.environ.get("QUERY_STRING", "").replace("+", " "))
        if _undecodable(path) or _undecodable(query):
            return problem(
                400, "Bad request", "The URL is not valid UTF-8 or holds NUL characters."
            )
        return None
