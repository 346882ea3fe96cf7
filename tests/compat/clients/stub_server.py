"""A stand-in Marginalia for the real WordPress and Ghost clients: a small HTTP server
on 127.0.0.1 that answers /wp-json/... (and ?rest_route=...) and /ghost/api/content/...
with the shapes api.compat produces, from a fixed in-memory site, and records every
request it receives (GET /__log) so tests can see what the clients ask for.

It is also a sketch of the adapters to come: each handler parses with
api.compat.*_request, selects (Ghost filters go through nql + nql_sql against SQLite),
shapes with api.compat.wordpress / ghost, and renders with wp_render. The real ones
will call the app's services instead of the lists below.

Run: python tests/compat/clients/stub_server.py [port]  (prints "READY <base url>").
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    exists,
    select,
)
from sqlalchemy.pool import StaticPool

from api.compat import ghost, ghost_request, wordpress, wp_errors, wp_render, wp_request
from api.compat.ids import Kind, parse_ghost_id
from api.compat.nql_sql import related, scalar, to_sql
from api.compat.wp_index import namespace_index, wp_index
from api.infra.timestamps import UTCDateTime

GHOST_KEY = "0123456789abcdef0123456789"
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def _stamp(days: int) -> str:
    return (START + timedelta(days=days)).isoformat().replace("+00:00", "Z")


# --- the site, as /v1 would serialise it (posts with include=author,tags) ---------------

AUTHORS = [
    {"id": 1, "slug": "jo", "name": "Jo Writer", "bio": "Writes.", "website": None,
     "avatar_url": None, "post_count": 3, "created_at": _stamp(0), "updated_at": _stamp(0)},
    {"id": 2, "slug": "al", "name": "Al Editor", "bio": "", "website": "https://al.example/",
     "avatar_url": None, "post_count": 2, "created_at": _stamp(0), "updated_at": _stamp(0)},
]  # fmt: skip
TAGS = [
    {"id": 1, "slug": "news", "name": "News", "description": "What happened", "post_count": 3,
     "kind": "category"},
    {"id": 2, "slug": "tech", "name": "Tech", "description": "", "post_count": 2},
    {"id": 3, "slug": "python", "name": "Python", "description": "", "post_count": 0},
]  # fmt: skip
_POST_TAGS = {1: [1, 2], 2: [1], 3: [2], 4: [], 5: [1]}
POSTS = [
    {
        "id": n,
        "slug": slug,
        "title": title,
        "excerpt": f"About {title.lower()}.",
        "body_html": f"<p>{title} — a post of the demo site.</p>",
        "status": "published",
        "published_at": _stamp(n),
        "created_at": _stamp(n),
        "updated_at": _stamp(n),
        "author": AUTHORS[(n + 1) % 2],
        "tags": [TAGS[t - 1] for t in _POST_TAGS[n]],
        "comments_open": True,
        "featured": n == 5,
        "url": f"https://blog.example/{slug}/",
    }
    for n, slug, title in (
        (1, "hello-world", "Hello world"),
        (2, "second-post", "Second post"),
        (3, "tech-notes", "Tech notes"),
        (4, "untagged", "Untagged"),
        (5, "big-news", "Big news"),
    )
]
PAGES = [
    {**POSTS[0], "id": 1, "slug": "about", "title": "About", "tags": [], "featured": False,
     "url": "https://blog.example/about/", "comments_open": False},
]  # fmt: skip
COMMENTS = [  # (post id, comment JSON)
    (1, {"id": 1, "type": "comment", "status": "approved", "body_html": "<p>First!</p>",
         "author_name": "Reader", "author_url": None, "parent_id": None, "created_at": _stamp(2)}),
    (1, {"id": 2, "type": "comment", "status": "approved", "body_html": "<p>Agreed.</p>",
         "author_name": "Other", "author_url": "https://other.example/", "parent_id": 1,
         "created_at": _stamp(3)}),
    (1, {"id": 3, "type": "pingback", "status": "approved", "body_html": "<p>[…] cited […]</p>",
         "author_name": "Latest Updates", "author_url": "https://elsewhere.example/",
         "parent_id": None, "created_at": _stamp(4)}),
]  # fmt: skip
LOCK = threading.Lock()
LOG: list[dict] = []

# --- Ghost filters run as SQL, through nql_sql ------------------------------------------

metadata = MetaData()
t_posts = Table(
    "posts", metadata,
    Column("id", Integer, primary_key=True), Column("page", Boolean), Column("slug", String),
    Column("title", String), Column("status", String), Column("visibility", String),
    Column("featured", Boolean), Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime), Column("author_id", Integer),
)  # fmt: skip
t_tags = Table("tags", metadata, Column("id", Integer, primary_key=True), Column("slug", String))
t_authors = Table(
    "authors", metadata, Column("id", Integer, primary_key=True), Column("slug", String)
)
t_post_tags = Table("post_tags", metadata, Column("post_id", Integer), Column("tag_id", Integer))
# One in-memory database shared by the server's threads.
ENGINE = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)


def _load() -> None:
    metadata.create_all(ENGINE)
    with ENGINE.begin() as connection:
        connection.execute(
            t_authors.insert(), [{"id": a["id"], "slug": a["slug"]} for a in AUTHORS]
        )
        connection.execute(t_tags.insert(), [{"id": t["id"], "slug": t["slug"]} for t in TAGS])
        for is_page, items in ((False, POSTS), (True, PAGES)):
            for item in items:
                connection.execute(
                    t_posts.insert(),
                    {
                        # pages share the table; offset their ids so rows stay distinct
                        "id": item["id"] + (1000 if is_page else 0),
                        "page": is_page,
                        "slug": item["slug"],
                        "title": item["title"],
                        "status": item["status"],
                        "visibility": "public",
                        "featured": item["featured"],
                        "published_at": datetime.fromisoformat(item["published_at"]),
                        "updated_at": datetime.fromisoformat(item["updated_at"]),
                        "author_id": item["author"]["id"],
                    },
                )
        connection.execute(
            t_post_tags.insert(),
            [{"post_id": p, "tag_id": t} for p, tags in _POST_TAGS.items() for t in tags],
        )


def _post_conditions(kind: Kind) -> dict:
    offset = 1000 if kind is Kind.PAGE else 0

    def has_tag(slugs):
        return exists().where(
            t_post_tags.c.post_id == t_posts.c.id,
            t_post_tags.c.tag_id == t_tags.c.id,
            t_tags.c.slug.in_(slugs),
        )

    def has_author(slugs):
        return t_posts.c.author_id.in_(select(t_authors.c.id).where(t_authors.c.slug.in_(slugs)))

    def post_id(value):
        number = parse_ghost_id(value, kind)
        return None if number is None else number + offset

    return {
        "tag": related(has_tag),
        "author": related(has_author),
        "featured": scalar(t_posts.c.featured),
        "published_at": scalar(t_posts.c.published_at),
        "slug": scalar(t_posts.c.slug),
        "status": scalar(t_posts.c.status),
        "visibility": scalar(t_posts.c.visibility),
        "id": scalar(t_posts.c.id, convert=post_id),
    }


_ORDER_COLUMNS = {"published_at": "published_at", "updated_at": "updated_at",
                  "created_at": "published_at", "title": "title", "slug": "slug",
                  "featured": "featured", "id": "id"}  # fmt: skip


def _ghost_content_ids(kind: Kind, args: ghost_request.GhostBrowseArgs) -> tuple[list[int], int]:
    offset = 1000 if kind is Kind.PAGE else 0
    where = [t_posts.c.page.is_(kind is Kind.PAGE), t_posts.c.status == "published"]
    if args.filter is not None:
        where.append(to_sql(args.filter, _post_conditions(kind)))
    order = [
        getattr(t_posts.c, _ORDER_COLUMNS[name]).desc()
        if descending
        else getattr(t_posts.c, _ORDER_COLUMNS[name]).asc()
        for name, descending in args.order
    ]
    with ENGINE.connect() as connection:
        ids = list(connection.scalars(select(t_posts.c.id).where(*where).order_by(*order)))
    return [number - offset for number in ids], len(ids)


# --- WordPress ----------------------------------------------------------------------


def _wp_site(base: str, plain: bool) -> wordpress.WordPressSite:
    return wordpress.WordPressSite(
        name="Marginalia demo",
        description="A headless CMS",
        home="https://blog.example/",
        api_root=f"{base}/?rest_route=/" if plain else f"{base}/wp-json/",
        categories_are_all_tags=False,
    )


def _wp_items(resource: str, args: wp_request.WpListArgs) -> list:
    if resource == "posts":
        items = [p for p in POSTS if p["status"] == "published"]
        if args.tags:
            items = [p for p in items if {t["id"] for t in p["tags"]} & set(args.tags)]
        if args.categories:
            items = [p for p in items if {t["id"] for t in p["tags"]} & set(args.categories)]
        if args.author:
            items = [p for p in items if p["author"]["id"] in args.author]
        if args.sticky is not None:
            items = [p for p in items if p["featured"] == args.sticky]
    elif resource == "pages":
        items = list(PAGES)
    elif resource == "users":
        items = list(AUTHORS)
    elif resource in ("tags", "categories"):
        # Categories are their own kind on this site: each tag is one or the other.
        is_category = [t.get("kind") == "category" for t in TAGS]
        items = [
            t for t, c in zip(TAGS, is_category, strict=True) if c == (resource == "categories")
        ]
        if args.post:
            wanted = {t for p in args.post for t in _POST_TAGS.get(p, [])}
            items = [t for t in items if t["id"] in wanted]
    elif resource == "comments":
        kinds = {"comment": ("comment",), "pingback": ("pingback",), "pings": ("pingback",)}
        items = [
            (post, c)
            for post, c in COMMENTS
            if c["status"] == "approved" and c["type"] in kinds[args.type or "comment"]
        ]
        if args.post:
            items = [(post, c) for post, c in items if post in args.post]
        if args.parent:
            items = [(post, c) for post, c in items if (c["parent_id"] or 0) in args.parent]
    else:
        items = []
    key = (lambda item: item[1]["id"]) if resource == "comments" else (lambda item: item["id"])
    if args.slug and resource != "comments":
        items = [item for item in items if item["slug"] in args.slug]
    if args.include:
        items = [item for item in items if key(item) in args.include]
    if args.exclude:
        items = [item for item in items if key(item) not in args.exclude]
    if resource in ("posts", "pages", "comments"):
        items.sort(key=key, reverse=args.order == "desc")
    return items


def _wp_shape(resource: str, item, site: wordpress.WordPressSite) -> wordpress.WpResource:
    if resource == "posts":
        return wordpress.wp_post(item, site)
    if resource == "pages":
        return wordpress.wp_page(item, site)
    if resource == "users":
        return wordpress.wp_user(item, site)
    if resource == "tags":
        return wordpress.wp_tag(item, site)
    if resource == "categories":
        return wordpress.wp_category(item, site)
    post_id, comment = item
    post = next(p for p in POSTS if p["id"] == post_id)
    children = any(c["parent_id"] == comment["id"] for _, c in COMMENTS)
    return wordpress.wp_comment(
        comment, site, post_id=post_id, post_url=post["url"], has_children=children
    )


def wp_dispatch(route: str, query: dict, method: str, body, site) -> tuple[int, dict, object]:
    """(status, headers, body) for one WordPress request."""
    headers = {"Link": wp_request.api_link(site)}
    matched = wp_request.match_route(route)
    if matched is None:
        raise wp_errors.no_route()
    if matched.kind == "index":
        return 200, headers, wp_index(site)
    if matched.kind == "namespace":
        return 200, headers, namespace_index(site)
    if matched.kind in ("types", "taxonomies"):
        table = (wordpress.wp_types if matched.kind == "types" else wordpress.wp_taxonomies)(site)
        if matched.item is None:
            return 200, headers, {k: wp_render.render(v) for k, v in table.items()}
        if matched.item not in table:
            raise wp_errors.no_route()
        return 200, headers, wp_render.render(table[matched.item])
    resource = matched.kind
    if method == "POST":
        if resource != "comments" or matched.item is not None:
            raise wp_errors.no_route()
        return _wp_create_comment(body, site)
    fields = wp_render.parse_fields(query.get("_fields") or query.get("_fields[]"))
    embed = wp_render.parse_embed(
        (query.get("_embed") or [None])[-1], "_embed" in query or "_embed[]" in query
    )
    resolve = _resolver(site)
    if matched.item is not None:
        context = wp_request.item_context(query, resource)
        args = wp_request.list_args(resource, {"include": [str(matched.item)]})
        if resource == "comments":
            args = wp_request.WpListArgs(resource="comments", include=(matched.item,), type=None)
        found = [
            item
            for item in _wp_items(resource, args)
            if (item[1]["id"] if resource == "comments" else item["id"]) == matched.item
        ]
        if resource == "comments" and not found:
            found = [(p, c) for p, c in COMMENTS if c["id"] == matched.item]
        if not found:
            raise wp_errors.not_found(resource)
        shaped = _wp_shape(resource, found[0], site)
        return (
            200,
            headers,
            wp_render.render(shaped, context=context, fields=fields, embed=embed, resolve=resolve),
        )
    args = wp_request.list_args(resource, query)
    items = _wp_items(resource, args)
    result = wp_request.paging(args, len(items))
    page = items[args.skip : args.skip + args.per_page]
    bodies = wp_render.render_collection(
        [_wp_shape(resource, item, site) for item in page],
        context=args.context,
        fields=fields,
        embed=embed,
        resolve=resolve,
    )
    paging = wp_request.paging_headers(result, lambda n: wp_request.page_url(site, route, query, n))
    if "Link" in paging:
        paging["Link"] = f"{headers['Link']}, {paging['Link']}"
    return 200, headers | paging, bodies


def _wp_create_comment(payload, site):
    submission = wp_request.comment_submission(payload or {})
    post = next((p for p in POSTS if p["id"] == submission.post_id), None)
    if post is None:
        raise wp_errors.WpError(
            "rest_comment_invalid_post_id",
            "Sorry, you are not allowed to create this comment without a post.",
            403,
        )
    with LOCK:
        number = max(c["id"] for _, c in COMMENTS) + 1
        comment = {
            "id": number,
            "type": "comment",
            "status": "pending",  # every new comment waits for a moderator here
            "body_html": f"<p>{submission.body}</p>",
            "author_name": submission.author_name or "Anonymous",
            "author_url": submission.author_url,
            "parent_id": submission.parent_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        COMMENTS.append((post["id"], comment))
    shaped = wordpress.wp_comment(comment, site, post_id=post["id"], post_url=post["url"])
    location = site.url(f"/wp/v2/comments/{number}")
    return 201, {"Location": location}, wp_render.render(shaped)


def _resolver(site):
    def resolve(rel, link):
        parts = urlsplit(link["href"])
        query = parse_qs(parts.query, keep_blank_values=True)
        route = query.pop("rest_route", [None])[0] or parts.path.split("/wp-json", 1)[-1]
        query["context"] = ["embed"]
        try:
            _, _, body = wp_dispatch(route, query, "GET", None, site)
        except wp_errors.WpError as error:
            return error.body()
        return body

    return resolve


# --- Ghost --------------------------------------------------------------------------

GHOST_SITE = ghost.GhostSite(
    title="Marginalia demo",
    description="A headless CMS",
    url="https://blog.example/",
    navigation=({"label": "Home", "url": "/"},),
)
_KINDS = {"posts": Kind.POST, "pages": Kind.PAGE, "authors": Kind.AUTHOR, "tags": Kind.TAG}


def ghost_dispatch(parts: list[str], query: dict) -> tuple[int, dict, object]:
    flat = {key: values[-1] for key, values in query.items()}
    if not parts or parts[0] not in ghost_request.RESOURCES:
        raise ghost_request.GhostError(404, "Resource not found")
    resource = parts[0]
    if ghost_request.content_key(flat) != GHOST_KEY:
        raise ghost_request.unknown_key()
    if resource == "settings":
        return 200, {}, ghost.settings_body(GHOST_SITE)
    kind = _KINDS[resource]
    source = {"posts": POSTS, "pages": PAGES, "authors": AUTHORS, "tags": TAGS}[resource]
    if len(parts) > 1:
        args = ghost_request.read_args(resource, flat)
        if parts[1] == "slug" and len(parts) > 2:
            found = [item for item in source if item["slug"] == parts[2]]
        else:
            number = parse_ghost_id(parts[1], kind)
            found = [item for item in source if item["id"] == number]
        if not found:
            raise ghost_request.not_found(resource)
        item = ghost.pick_fields(_ghost_shape(resource, found[0], args), args.fields)
        return 200, {}, ghost.read_body(resource, item)
    args = ghost_request.browse_args(resource, flat)
    if resource in ("posts", "pages"):
        ids, total = _ghost_content_ids(kind, args)
        by_id = {item["id"]: item for item in source}
        items = [by_id[number] for number in ids]
    else:
        items = sorted(source, key=lambda item: item["name"])
        if args.filter is not None:
            table = t_tags if resource == "tags" else t_authors
            conditions = {
                "slug": scalar(table.c.slug),
                "id": scalar(table.c.id, convert=lambda v: parse_ghost_id(v, kind)),
            }
            with ENGINE.connect() as connection:
                wanted = set(
                    connection.scalars(select(table.c.id).where(to_sql(args.filter, conditions)))
                )
            items = [item for item in items if item["id"] in wanted]
        total = len(items)
    page = items[args.skip : args.skip + args.limit]
    shaped = [ghost.pick_fields(_ghost_shape(resource, item, args), args.fields) for item in page]
    return 200, {}, ghost.browse_body(resource, shaped, ghost_request.pagination(args, total))


def _ghost_shape(resource, item, args):
    if resource == "posts":
        return ghost.ghost_post(item, GHOST_SITE, include=args.include, formats=args.formats)
    if resource == "pages":
        return ghost.ghost_page(item, GHOST_SITE, include=args.include, formats=args.formats)
    if resource == "authors":
        return ghost.ghost_author(item, GHOST_SITE, include=args.include)
    return ghost.ghost_tag(item, GHOST_SITE, include=args.include)


# --- HTTP ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # the request log below replaces stderr noise
        pass

    def do_HEAD(self):
        self._handle("HEAD")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        body = None
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if raw:
            kind = self.headers.get("Content-Type", "")
            body = (
                json.loads(raw)
                if "json" in kind
                else {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            )
        if parts.path == "/__log":
            with LOCK:
                return self._send(200, {}, list(LOG), method)
        with LOCK:
            LOG.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": {k: v if len(v) > 1 else v[0] for k, v in query.items()},
                    "accept_version": self.headers.get("Accept-Version"),
                    "user_agent": self.headers.get("User-Agent"),
                    "content_type": self.headers.get("Content-Type"),
                    "body": body,
                }
            )
        base = f"http://{self.headers.get('Host')}"
        try:
            if parts.path.startswith("/ghost/api/content"):
                segments = [
                    s for s in parts.path.removeprefix("/ghost/api/content").split("/") if s
                ]
                status, headers, payload = ghost_dispatch(segments, query)
                headers |= {
                    "Content-Version": ghost_request.content_version(
                        self.headers.get("Accept-Version")
                    ),
                    "Vary": "Accept-Version, Accept-Encoding",
                    "Cache-Control": "public, max-age=0",
                }
            elif parts.path.startswith("/wp-json") or "rest_route" in query:
                plain = "rest_route" in query
                route = (
                    query.pop("rest_route", [None])[0]
                    if plain
                    else parts.path.removeprefix("/wp-json")
                )
                site = _wp_site(base, plain)
                envelope = "_envelope" in query
                try:
                    status, headers, payload = wp_dispatch(route, query, method, body, site)
                except wp_errors.WpError as error:
                    status, headers, payload = error.status, dict(error.headers), error.body()
                if envelope:
                    status, headers, payload = 200, {}, wp_render.envelope(payload, status, headers)
            elif parts.path == "/":
                # The public site: its pages advertise the API, as WordPress's do.
                headers = {"Link": wp_request.api_link(_wp_site(base, False))}
                return self._send(
                    200, headers, "<!doctype html><title>Demo</title>", method, html=True
                )
            else:
                status, headers, payload = 404, {}, {"error": "not found"}
        except ghost_request.GhostError as error:
            status, headers, payload = error.status, dict(error.headers), error.body()
        except wp_errors.WpError as error:
            status, headers, payload = error.status, dict(error.headers), error.body()
        except Exception as error:  # a stub bug: say so instead of dropping the connection
            print(f"stub error on {self.path}: {error!r}", file=sys.stderr, flush=True)
            status, headers, payload = 500, {}, {"error": repr(error)}
        self._send(status, headers, payload, method)

    def _send(self, status, headers, payload, method, html=False):
        data = payload.encode() if html else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if html else "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", ", ".join(wp_request.EXPOSED_HEADERS))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)


def main() -> None:
    _load()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
