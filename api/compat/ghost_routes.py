"""The Ghost Content API over HTTP: `/ghost/api/content/{posts,pages,authors,tags,settings}/`.

Thin: the key is checked against our Content API keys (api/compat/content_keys.py),
the options parsed by api/compat/ghost_request.py (the `filter` by the NQL parser,
compiled to bound SQL by api/compat/nql_sql.py over the columns the content area
offers: never pasted into SQL), the rows read by the content area's listing service,
and the shapes made by api/compat/ghost.py. Reads are public and cached like `/v1`
(`@cached_public`: the key is part of the URL, and revoking a key records an event).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from flask.views import MethodView

from api.cache.responses import cached_public
from api.compat import content_keys, ghost
from api.compat import ghost_request as options
from api.compat.ids import Kind, parse_ghost_id
from api.compat.nql import NqlError
from api.compat.nql_sql import related, scalar, to_sql
from api.content import listing
from api.errors import DomainError

blp = Blueprint("ghost", __name__, url_prefix="/ghost/api/content")

_KINDS = {"posts": Kind.POST, "pages": Kind.PAGE, "authors": Kind.AUTHOR, "tags": Kind.TAG}
_TERM_ORDER = {"count.posts": "count"}


def site() -> ghost.GhostSite:
    settings = current_app.config["MARGINALIA"]
    parts = urlsplit(settings.site_url)
    timezone = settings.site_timezone
    return ghost.GhostSite(
        title=settings.site_title,
        description=settings.site_description,
        url=f"{parts.scheme}://{parts.netloc}/",
        timezone="Etc/UTC" if timezone == "UTC" else timezone,
    )


def _conditions(resource: str) -> dict[str, Any]:
    kind = _KINDS[resource]
    if resource in ("posts", "pages"):
        fields = listing.filter_fields()
    elif resource == "tags":
        fields = listing.tag_filter_fields()
    else:
        fields = listing.author_filter_fields()
    built: dict[str, Any] = {}
    for name, target in fields.items():
        if callable(target) and not hasattr(target, "type"):
            built[name] = related(target)
        elif name == "id":
            built[name] = scalar(
                target, convert=lambda value, kind=kind: parse_ghost_id(value, kind)
            )
        else:
            built[name] = scalar(target)
    return built


def _where(resource: str, args: options.GhostBrowseArgs):
    if args.filter is None:
        return None
    try:
        return to_sql(args.filter, _conditions(resource))
    except NqlError as error:
        raise options.GhostError(400, "Error parsing filter", str(error)) from None


def _shape(resource: str, item: dict, args: options.GhostReadArgs, where: ghost.GhostSite):
    if resource == "posts":
        shaped = ghost.ghost_post(item, where, include=args.include, formats=args.formats)
    elif resource == "pages":
        shaped = ghost.ghost_page(item, where, include=args.include, formats=args.formats)
    elif resource == "authors":
        shaped = ghost.ghost_author(item, where, include=args.include)
    else:
        shaped = ghost.ghost_tag(item, where, include=args.include)
    return ghost.pick_fields(shaped, args.fields)


def _find(resource: str, **fixed: Any) -> listing.Listing:
    if resource in ("posts", "pages"):
        kind = "post" if resource == "posts" else "page"
        return listing.list_content(listing.ContentQuery(kind=kind, **fixed))
    query = listing.TermQuery(**fixed)
    return (listing.list_authors if resource == "authors" else listing.list_tags)(query)


def _browse(resource: str, query: dict) -> dict:
    settings = current_app.config["MARGINALIA"]
    args = options.browse_args(resource, query, all_cap=settings.content_api_all_cap)
    if resource in ("authors", "tags"):
        order = tuple((_TERM_ORDER.get(name, name), desc) for name, desc in args.order)
    else:
        order = args.order
    found = _find(
        resource,
        where=_where(resource, args),
        order=order,
        offset=args.skip,
        limit=args.limit,
    )
    where = site()
    items = [_shape(resource, item, args, where) for item in found.items]
    return ghost.browse_body(resource, items, options.pagination(args, found.total))


def _read(resource: str, query: dict, *, ghost_id: str | None, slug: str | None) -> dict:
    args = options.read_args(resource, query)
    if ghost_id is not None:
        number = parse_ghost_id(ghost_id, _KINDS[resource])
        if number is None:
            raise options.not_found(resource)
        found = _find(resource, ids=(number,), limit=1)
    else:
        found = _find(resource, slugs=(slug or "",), limit=1)
    if not found.items:
        raise options.not_found(resource)
    return ghost.read_body(resource, _shape(resource, found.items[0], args, site()))


def answer(resource: str, *, ghost_id: str | None = None, slug: str | None = None) -> Response:
    query = {key: values for key, values in request.args.lists()}
    version = options.content_version(request.headers.get("Accept-Version"))
    headers = {"Content-Version": version}
    try:
        key = options.content_key(query)
        if not content_keys.is_valid(key):
            raise options.unknown_key()
        if resource == "settings":
            body, status = ghost.settings_body(site()), 200
        elif ghost_id is None and slug is None:
            body, status = _browse(resource, query), 200
        else:
            body, status = _read(resource, query, ghost_id=ghost_id, slug=slug), 200
    except options.GhostError as error:
        body, status = error.body(), error.status
        headers.update(error.headers)
    except DomainError as error:
        ghost_error = options.from_problem(error.status, error.detail, dict(error.headers))
        body, status = ghost_error.body(), ghost_error.status
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers)
    return response


@cached_public
class GhostBrowse(MethodView):
    def get(self, resource: str):
        if resource not in (*_KINDS, "settings"):
            return _unknown()
        return answer(resource)


@cached_public
class GhostRead(MethodView):
    def get(self, resource: str, ghost_id: str):
        if resource not in _KINDS:
            return _unknown()
        return answer(resource, ghost_id=ghost_id)


@cached_public
class GhostReadBySlug(MethodView):
    def get(self, resource: str, slug: str):
        if resource not in _KINDS:
            return _unknown()
        return answer(resource, slug=slug)


def _unknown() -> Response:
    error = options.GhostError(404, "Resource not found")
    response = current_app.json.response(error.body())
    response.status_code = 404
    return response


for rule, view in (
    ("/<string:resource>/", GhostBrowse.as_view("browse")),
    ("/<string:resource>/slug/<string:slug>/", GhostReadBySlug.as_view("read_by_slug")),
    ("/<string:resource>/<string:ghost_id>/", GhostRead.as_view("read")),
):
    blp.add_url_rule(rule, view_func=view, strict_slashes=False)
