"""Response helpers shared by the routes of every area."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, current_app, request

from api.infra.pagination import Page


def page_body(page: Page, dump) -> Response:
    """A collection page: `{"items", "next", "next_cursor", "prev", "prev_cursor"}` (and
    `total` when counted), with `Link: <next>; rel="next", <prev>; rel="prev"` (RFC 8288).

    The URLs are relative to this API's root, so they are right behind any proxy.
    """
    next_url, prev_url = _page_url(page.next_cursor), _page_url(page.prev_cursor)
    body = {
        "items": dump(page.items),
        "next": next_url,
        "next_cursor": page.next_cursor,
        "prev": prev_url,
        "prev_cursor": page.prev_cursor,
    }
    if page.total is not None:
        body["total"] = page.total
    links = [
        f'<{url}>; rel="{rel}"' for url, rel in ((next_url, "next"), (prev_url, "prev")) if url
    ]
    return json_response(body, 200, {"Link": ", ".join(links)} if links else None)


def _page_url(cursor: str | None) -> str | None:
    """This request's URL with another cursor (its other arguments kept as given)."""
    if not cursor:
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    args.append(("cursor", cursor))
    return f"{request.path}?{urlencode(args)}"


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    """Already-serialised data as the response (flask-smorest passes Responses through;
    its `@blp.response` still documents the schema)."""
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def created(body, location: str) -> Response:
    return json_response(body, 201, {"Location": location})
