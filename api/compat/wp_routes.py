"""The WordPress REST API v2 over HTTP: `/wp-json/…` and `/?rest_route=/…`.

Thin: the route is matched and its arguments validated by api/compat/wp_request.py,
the rows come from the content, comments and media areas' read services (published
posts and pages, approved comments: what anonymous WordPress readers see), the shapes
from api/compat/wordpress.py and wp_render.py. Reads are public and go through the
same response cache as `/v1` (`@cached_public`); every answer carries the discovery
`Link` (`rel="https://api.w.org/"`). A comment form's POST goes to our intake
(api/compat/wp_comment_routes.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, current_app, request
from flask.views import MethodView

from api.cache.responses import cached_public
from api.comments import listing as comment_listing
from api.compat import wordpress as wp
from api.compat import wp_comment_routes, wp_render, wp_request
from api.compat.wp_errors import WpError, from_problem, no_route, not_found
from api.compat.wp_index import namespace_index, wp_index
from api.content import listing
from api.content.services import find_posts
from api.errors import DomainError
from api.media import services as media

blp = Blueprint("wordpress", __name__)

_POST_ORDER = {
    "date": "published_at",
    "modified": "updated_at",
    "id": "id",
    "title": "title",
    "slug": "slug",
    "author": "author",
    "include": "id",
    "include_slugs": "slug",
    "relevance": "published_at",
    "parent": "id",
    "menu_order": "id",
}
_TERM_ORDER = {
    "name": "name",
    "slug": "slug",
    "id": "id",
    "include": "id",
    "include_slugs": "slug",
    "count": "count",
    "description": "name",
    "term_group": "name",
    "registered_date": "created_at",
    "url": "slug",
    "email": "slug",
}
_COMMENT_TYPES = {"comment": ("comment",), "pingback": ("pingback",), "pings": ("pingback",)}


def site(rest_form: bool) -> wp.WordPressSite:
    settings = current_app.config["MARGINALIA"]
    api = settings.api_url.rstrip("/")
    parts = urlsplit(settings.site_url)
    return wp.WordPressSite(
        name=settings.site_title,
        description=settings.site_description,
        home=f"{parts.scheme}://{parts.netloc}/",
        api_root=f"{api}/?rest_route=/" if rest_form else f"{api}/wp-json/",
        timezone=settings.site_timezone,
    )


# --- reading ----------------------------------------------------------------------


def _content(kind: str, args: wp_request.WpListArgs | None, **fixed: Any) -> listing.Listing:
    if args is None:
        return listing.list_content(listing.ContentQuery(kind=kind, limit=1, **fixed))
    order = ((_POST_ORDER[args.orderby], args.order == "desc"),)
    if args.status and not set(args.status) & {"publish", "any"}:
        return listing.Listing([], 0)
    return listing.list_content(
        listing.ContentQuery(
            kind=kind,
            ids=args.include,
            exclude_ids=args.exclude,
            author_ids=args.author,
            tag_ids=tuple(dict.fromkeys(args.tags + args.categories)),
            slugs=args.slug,
            search=args.search,
            published_after=args.after,
            published_before=args.before,
            featured=args.sticky,
            order=order,
            offset=args.skip,
            limit=args.per_page,
        )
    )


def _terms(resource: str, args: wp_request.WpListArgs | None, **fixed: Any) -> listing.Listing:
    # Readers see the authors of published posts only, as WordPress shows them.
    authors_only = resource == "users"
    if args is None:
        query = listing.TermQuery(limit=1, hide_empty=authors_only, **fixed)
    else:
        query = listing.TermQuery(
            ids=args.include,
            exclude_ids=args.exclude,
            slugs=args.slug,
            search=args.search,
            post_ids=args.post,
            hide_empty=bool(args.hide_empty) or authors_only,
            order=((_TERM_ORDER.get(args.orderby, "name"), args.order == "desc"),),
            offset=args.skip,
            limit=args.per_page,
        )
    return (listing.list_authors if resource == "users" else listing.list_tags)(query)


def _comments(args: wp_request.WpListArgs | None, **fixed: Any) -> comment_listing.CommentListing:
    if args is None:
        query = comment_listing.CommentQuery(limit=1, types=("comment", "pingback"), **fixed)
    else:
        query = comment_listing.CommentQuery(
            ids=args.include,
            exclude_ids=args.exclude,
            post_ids=args.post,
            parent_ids=args.parent,
            search=args.search,
            after=args.after,
            before=args.before,
            types=_COMMENT_TYPES.get(args.type or "comment", ("comment",)),
            order=((args.orderby, args.order == "desc"),),
            offset=args.skip,
            limit=args.per_page,
        )
    return comment_listing.list_public(query)


def _shape_comments(found: comment_listing.CommentListing, where: wp.WordPressSite) -> list:
    settings = current_app.config["MARGINALIA"]
    post_ids = {row.post_id for row in found.rows}
    refs = find_posts(post_ids, site_url=settings.site_url)
    types = listing.content_types(post_ids)
    shaped = []
    for row in found.rows:
        comment = {
            "id": row.id,
            "type": row.type,
            "status": row.status,
            "body_html": row.body_html,
            "author_name": row.author_name,
            "author_url": row.author_url,
            "parent_id": row.parent_id,
            "created_at": row.created_at.isoformat(),
        }
        ref = refs.get(row.post_id)
        shaped.append(
            wp.wp_comment(
                comment,
                where,
                post_id=row.post_id,
                post_url=ref.url if ref else "",
                post_type=types.get(row.post_id, "post"),
                has_children=row.id in found.with_replies,
            )
        )
    return shaped


def collection(
    resource: str, args: wp_request.WpListArgs | None, where: wp.WordPressSite, **fixed: Any
) -> tuple[list[wp.WpResource], int]:
    """The resources of one page of a collection (or the one item `fixed` names when
    `args` is None), and the total."""
    if resource in ("posts", "pages"):
        kind = "post" if resource == "posts" else "page"
        found = _content(kind, args, **fixed)
        shape = wp.wp_post if kind == "post" else wp.wp_page
        return [shape(item, where) for item in found.items], found.total
    if resource in ("users", "tags", "categories"):
        found = _terms(resource, args, **fixed)
        shape = {"users": wp.wp_user, "tags": wp.wp_tag, "categories": wp.wp_category}[resource]
        return [shape(item, where) for item in found.items], found.total
    if resource == "comments":
        comments = _comments(args, **fixed)
        return _shape_comments(comments, where), comments.total
    if args is None:
        items, total = media.list_public_media(offset=0, limit=1, **fixed)
    else:
        items, total = media.list_public_media(
            ids=args.include, exclude_ids=args.exclude, offset=args.skip, limit=args.per_page
        )
    return [wp.wp_media(item, where) for item in items], total


def item(resource: str, number: int, where: wp.WordPressSite) -> wp.WpResource:
    found, _ = collection(resource, None, where, ids=(number,))
    if not found:
        raise not_found(resource)
    return found[0]


# --- embedding ----------------------------------------------------------------------


def _resolver(where: wp.WordPressSite, seen: dict[str, Any]):
    """Embedded copies for `_embed`, found by following the link's own route; `seen`
    holds what this request resolved already (ten posts by one author read it once)."""

    def resolve(rel: str, link: dict[str, Any]) -> Any:
        if link["href"] not in seen:
            seen[link["href"]] = _follow(link["href"])
        return seen[link["href"]]

    def _follow(href: str) -> Any:
        route, query = _route_of(href, where)
        matched = wp_request.match_route(route)
        if matched is None or matched.kind not in wp_request.COLLECTIONS:
            return None
        if isinstance(matched.item, int):
            try:
                found = item(matched.kind, matched.item, where)
            except WpError:
                return None
            return wp_render.render(found, context="embed")
        args = wp_request.list_args(matched.kind, query, timezone=where.timezone)
        resources, _ = collection(matched.kind, args, where)
        return [wp_render.render(resource, context="embed") for resource in resources]

    return resolve


def _seed_terms(resources: list[wp.WpResource], where: wp.WordPressSite) -> dict[str, Any]:
    """The `wp:term` embeds of a page of posts, from one read of their tags (the posts
    name them by id) instead of two reads a post."""
    posts = [resource for resource in resources if resource.kind == "post"]
    ids = {number for post in posts for number in (*post.data["categories"], *post.data["tags"])}
    if not ids:
        return {}
    found = listing.list_tags(listing.TermQuery(ids=tuple(ids), limit=len(ids))).items
    by_id = {tag["id"]: tag for tag in found}
    seeded: dict[str, Any] = {}
    for post in posts:
        for field, route, shape in (
            ("categories", "/wp/v2/categories", wp.wp_category),
            ("tags", "/wp/v2/tags", wp.wp_tag),
        ):
            tags = sorted((by_id[i] for i in post.data[field] if i in by_id), key=_by_name)
            href = where.url(route, post=post.data["id"])
            seeded[href] = [wp_render.render(shape(tag, where), context="embed") for tag in tags]
    return seeded


def _by_name(tag: dict) -> tuple[str, int]:
    return (tag["name"], tag["id"])


def _route_of(href: str, where: wp.WordPressSite) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(href)
    query = parse_qs(parts.query, keep_blank_values=True)
    if "rest_route" in query:
        return query.pop("rest_route")[-1], query
    root = urlsplit(where.api_root).path
    return "/" + parts.path.removeprefix(root).lstrip("/"), query


# --- answering ----------------------------------------------------------------------


def _query() -> dict[str, list[str]]:
    return {key: values for key, values in request.args.lists() if key != "rest_route"}


def answer_get(route: str, rest_form: bool) -> Response:
    route = wp_request.rest_route(route)
    where = site(rest_form)
    query = _query()
    headers = {"Link": wp_request.api_link(where)}
    try:
        status, body = 200, _read(route, query, where, headers)
    except WpError as error:
        status, body = error.status, error.body()
        headers.update(error.headers)
    except DomainError as error:
        wp_error = from_problem(error.status, error.slug, error.detail, error.errors)
        status, body = wp_error.status, wp_error.body()
    return _respond(body, status, headers)


def _respond(body: Any, status: int, headers: dict[str, str]) -> Response:
    if "_envelope" in request.args:
        body, status = wp_render.envelope(body, status, headers), 200
    response = current_app.json.response(body)
    response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _read(route: str, query: dict, where: wp.WordPressSite, headers: dict) -> Any:
    matched = wp_request.match_route(route)
    if matched is None:
        raise no_route()
    if matched.kind == "index":
        return wp_index(where)
    if matched.kind == "namespace":
        return namespace_index(where)
    if matched.kind in ("types", "taxonomies"):
        table = (wp.wp_types if matched.kind == "types" else wp.wp_taxonomies)(where)
        if matched.item is None:
            return {slug: wp_render.render(found) for slug, found in table.items()}
        if matched.item not in table:
            raise WpError(f"rest_{matched.kind[:-1]}_invalid", "Invalid resource.", 404)
        return wp_render.render(table[str(matched.item)])
    fields = wp_render.parse_fields(query.get("_fields"))
    embed = wp_render.parse_embed(
        (query.get("_embed") or [None])[-1] if "_embed" in query else None, "_embed" in query
    )
    seen: dict[str, Any] = {}
    options = {"fields": fields, "embed": embed, "resolve": _resolver(where, seen)}
    if matched.item is not None:
        context = wp_request.item_context(query, matched.kind)
        found = item(matched.kind, int(matched.item), where)
        if embed is not None:
            seen.update(_seed_terms([found], where))
        return wp_render.render(found, context=context, **options)
    args = wp_request.list_args(matched.kind, query, timezone=where.timezone)
    resources, total = collection(matched.kind, args, where)
    if embed is not None:
        seen.update(_seed_terms(resources, where))
    paged = wp_request.paging(args, total)
    paging = wp_request.paging_headers(
        paged, lambda page: wp_request.page_url(where, route, query, page)
    )
    if "Link" in paging:
        headers["Link"] = f"{paging.pop('Link')}, {headers['Link']}"
    headers.update(paging)
    return wp_render.render_collection(resources, context=args.context, **options)


# --- routes -------------------------------------------------------------------------


@cached_public
class WpApi(MethodView):
    """GET: every read of the API; POST: comment submission (wp_comments)."""

    def get(self, route: str = "/"):
        return answer_get(route, rest_form=False)

    def post(self, route: str = "/"):
        return answer_post(route, rest_form=False)


@cached_public
class WpRestRoute(MethodView):
    """`/?rest_route=/wp/v2/posts`: the form WordPress sites without pretty permalinks
    answer, which clients also use."""

    def get(self):
        if "rest_route" not in request.args:
            # The site's root: WPAPI.discover (a HEAD here) reads the discovery Link.
            return answer_get("/", rest_form=False)
        return answer_get(request.args["rest_route"], rest_form=True)

    def post(self):
        if "rest_route" not in request.args:
            return _respond(no_route().body(), 404, {})
        return answer_post(request.args["rest_route"], rest_form=True)


_api = WpApi.as_view("api")
blp.add_url_rule("/wp-json", view_func=_api)
blp.add_url_rule("/wp-json/", view_func=_api)
blp.add_url_rule("/wp-json/<path:route>", view_func=_api)
blp.add_url_rule("/", view_func=WpRestRoute.as_view("rest_route"))


def answer_post(route: str, rest_form: bool) -> Response:
    where = site(rest_form)
    headers = {"Link": wp_request.api_link(where)}
    matched = wp_request.match_route(route)
    if matched is None or matched.kind != "comments" or matched.item is not None:
        error = no_route()
        return _respond(error.body(), error.status, headers)
    body, status, extra = wp_comment_routes.submit(where)
    return _respond(body, status, headers | extra)
