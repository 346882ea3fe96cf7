"""Response helpers shared by the routes of every area."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, current_app, request

from api.infra.pagination import Page


def page_body(page: Page, dump) -> tuple[dict, int, dict]:
    """A collection page: `{"items", "next"}` plus `Link: <next>; rel="next"` (RFC 8288).

    The next URL is relative to this API's root, so it is right behind any proxy.
    """
    body = {"items": dump(page.items), "next": None}
    headers = {}
    if page.next_cursor:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
        args.append(("cursor", page.next_cursor))
        next_url = f"{request.path}?{urlencode(args)}"
        body["next"] = next_url
        headers["Link"] = f'<{next_url}>; rel="next"'
    return json_response(body, 200, headers)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    """Already-serialised data as the response (flask-smorest passes Responses through;
    its `@blp.response` still documents the schema)."""
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def created(body, location: str) -> Response:
    return json_response(body, 201, {"Location": location})
