"""Feeds over HTTP: Atom 1.0 and JSON Feed 1.1 of posts and of approved comments.

Public, cached like every public read (the response cache; an ETag of the bytes, so
If-None-Match answers 304), and announced with `Link: <...>; rel="alternate"` on the
API resources they follow (`install_alternate_links`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import Flask, Response, current_app, request
from flask.views import MethodView
from marshmallow import validate

from api.cache.responses import cached_public
from api.feeds import services
from api.feeds.render import ATOM_MEDIA_TYPE, JSON_FEED_MEDIA_TYPE, atom, json_feed
from api.web.conditional import etag_of_bytes
from api.web.contract import problems
from api.web.parsing import Blueprint

blp = Blueprint(
    "feeds",
    __name__,
    url_prefix="/v1/feeds",
    description=(
        "Feeds for readers and aggregators: Atom 1.0 and JSON Feed 1.1 of the newest "
        "published posts (the site's, a tag's, an author's) and of the newest approved "
        "comments (the site's, a post's). With a WebSub hub configured they carry "
        "rel=hub and rel=self."
    ),
)

SLUG = validate.Length(min=1, max=200)
_NAMES = {"atom": "Atom 1.0", "json": "JSON Feed 1.1"}


class PostFeedArgs(ma.Schema):
    tag = ma.fields.String(validate=SLUG, metadata={"description": "Only posts with this tag"})
    author = ma.fields.String(validate=SLUG, metadata={"description": "Only this author's posts"})


class CommentFeedArgs(ma.Schema):
    post = ma.fields.String(validate=SLUG, metadata={"description": "Only this post's comments"})


def _json_feed_schema() -> dict:
    """JSON Feed 1.1's required members (https://jsonfeed.org/version/1.1); the rest
    of the document is open, as the format allows extensions."""
    item = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    return {
        "type": "object",
        "required": ["version", "title", "items"],
        "properties": {
            "version": {"type": "string"},
            "title": {"type": "string"},
            "items": {"type": "array", "items": item},
        },
    }


_BODY_SCHEMAS = {
    ATOM_MEDIA_TYPE: {"type": "string", "description": "An Atom 1.0 document (RFC 4287)"},
    JSON_FEED_MEDIA_TYPE: _json_feed_schema(),
}


def _responses(media_type: str, what: str) -> dict:
    return {
        "200": {
            "description": what,
            "content": {media_type.split(";")[0]: {"schema": _BODY_SCHEMAS[media_type]}},
            # Conditional like every read (api/web/conventions.py adds If-None-Match).
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        },
    }


def _feed_response(feed, fmt: str) -> Response:
    body = atom(feed) if fmt == "atom" else json_feed(feed)
    media_type = ATOM_MEDIA_TYPE if fmt == "atom" else JSON_FEED_MEDIA_TYPE
    response = Response(body, 200, content_type=media_type)
    response.set_etag(etag_of_bytes(body))
    response.make_conditional(request)
    return response


def _settings():
    return current_app.config["MARGINALIA"]


def _posts_view(fmt: str):
    class PostsFeed(MethodView):
        @blp.arguments(PostFeedArgs, location="query")
        @problems(blp, 404, 422, descriptions={404: "No such tag or author"})
        @blp.doc(
            security=[],
            operationId=f"getPostsFeed{fmt.title()}",
            summary=f"The posts feed, {_NAMES[fmt]} (`tag`, `author` narrow it)",
            description="Public: the newest 20 published posts.",
            responses=_responses(
                ATOM_MEDIA_TYPE if fmt == "atom" else JSON_FEED_MEDIA_TYPE,
                "The newest 20 published posts",
            ),
        )
        def get(self, args):
            feed = services.posts_feed(
                _settings(),
                fmt,
                tag=args.get("tag"),
                author=args.get("author"),
                secret=current_app.config["SECRET_KEY"],
            )
            return _feed_response(feed, fmt)

    PostsFeed.__name__ = f"PostsFeed{fmt.title()}"
    return cached_public(PostsFeed)


def _comments_view(fmt: str):
    class CommentsFeed(MethodView):
        @blp.arguments(CommentFeedArgs, location="query")
        @problems(blp, 404, 422, descriptions={404: "No published post with this slug"})
        @blp.doc(
            security=[],
            operationId=f"getCommentsFeed{fmt.title()}",
            summary=f"The comments feed, {_NAMES[fmt]} (`post` narrows it)",
            description="Public: the newest 20 approved comments of published posts.",
            responses=_responses(
                ATOM_MEDIA_TYPE if fmt == "atom" else JSON_FEED_MEDIA_TYPE,
                "The newest 20 approved comments",
            ),
        )
        def get(self, args):
            feed = services.comments_feed(_settings(), fmt, post_slug=args.get("post"))
            return _feed_response(feed, fmt)

    CommentsFeed.__name__ = f"CommentsFeed{fmt.title()}"
    return cached_public(CommentsFeed)


for _fmt in ("atom", "json"):
    blp.route(f"/posts.{_fmt}", endpoint=f"posts_{_fmt}")(_posts_view(_fmt))
    blp.route(f"/comments.{_fmt}", endpoint=f"comments_{_fmt}")(_comments_view(_fmt))


# --- Link rel=alternate on the resources the feeds follow -----------------------------

# endpoint -> (feed name, query parameter, view argument giving its value)
ALTERNATES = {
    "posts.Posts": ("posts", None, None),
    "taxonomy.Tag": ("posts", "tag", "slug"),
    "taxonomy.Author": ("posts", "author", "slug"),
    "comments.PostComments": ("comments", "post", "slug"),
    "posts.Post": ("comments", "post", "slug"),
}


def alternate_links(endpoint: str | None, view_args: dict | None) -> str | None:
    known = ALTERNATES.get(endpoint or "")
    if known is None:
        return None
    name, parameter, argument = known
    query = {parameter: (view_args or {}).get(argument, "")} if parameter else {}
    settings = _settings()
    atom_url = services.feed_url(settings, name, "atom", query)
    json_url = services.feed_url(settings, name, "json", query)
    return (
        f'<{atom_url}>; rel="alternate"; type="application/atom+xml", '
        f'<{json_url}>; rel="alternate"; type="application/feed+json"'
    )


def install_alternate_links(app: Flask) -> None:
    @app.after_request
    def _alternate(response: Response) -> Response:
        # 200s only: a 304 answered from the response cache carries no Link either.
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            links = alternate_links(request.endpoint, request.view_args)
            existing = response.headers.get("Link")
            # A response cache hit answered in Flask carries them already.
            if links and (not existing or links not in existing):
                response.headers["Link"] = f"{existing}, {links}" if existing else links
        return response
