"""Posts over HTTP."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission, sees_content_internals
from api.cache import keys
from api.cache.keys import depends_on
from api.cache.responses import cached_public
from api.content import reading, services
from api.content.schemas import (
    PostListArgs,
    PostPage,
    PostPatchSchema,
    PostReadArgs,
    PostSchema,
    PostWriteSchema,
)
from api.content.views import post_columns, post_dumper, single_post_schema
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import created, json_response, page_body

blp = Blueprint("posts", __name__, url_prefix="/v1", description="Posts")


MOVED = {
    "description": "An old slug: the post lives at `Location` now (query string kept)",
    "headers": {"Location": {"schema": {"type": "string"}, "description": "Its current URL"}},
}


def _codec(kind: str, sort: str | None) -> CursorCodec:
    return CursorCodec(current_app.config["SECRET_KEY"], reading.cursor_salt(kind, sort))


def _dumper(
    staff: bool,
    full_author: bool,
    full_tags: bool,
    fields: tuple[str, ...],
    formats: tuple[str, ...],
):
    return post_dumper(
        staff=staff,
        full_author=full_author,
        full_tags=full_tags,
        fields=fields,
        formats=formats or ("html",),
    )


def _staff_view(post) -> dict:
    return single_post_schema(True).dump(post)


def list_page(args, kind: str):
    """GET /v1/posts or /v1/pages: the filters and order of `args`, one page."""
    actor = current_actor()
    tags, all_tags = args.get("tag", ((), False))
    filters = reading.PostFilters(
        tags=tags,
        all_tags=all_tags,
        authors=args.get("author", ((), False))[0],
        q=args.get("q"),
        published_after=args.get("published_after"),
        published_before=args.get("published_before"),
        featured=args.get("featured"),
        status=args.get("status"),
        sort=args.get("sort"),
    )
    staff, fields = sees_content_internals(actor), args["fields"]
    page = reading.list_posts(
        actor,
        filters,
        post_columns(staff, fields),
        limit=args["limit"],
        cursor=args["cursor"],
        codec=_codec(kind, filters.sort),
        kind=kind,
        count=args["count"],
    )
    depends_on(keys.collection(kind))
    reading.depends_on_posts(page.items)
    include = args["include"]
    dump = _dumper(staff, "author" in include, "tags" in include, fields, args["formats"])
    return page_body(page, lambda items: [dump(item) for item in items])


def read_one(args, slug: str, kind: str, endpoint: str):
    """GET /v1/posts/{slug} or /v1/pages/{slug}; an old slug answers 301."""
    actor = current_actor()
    staff, fields = sees_content_internals(actor), args["fields"]
    try:
        post = reading.read_post(actor, slug, post_columns(staff, fields), kind)
    except reading.Moved as moved:
        query = request.query_string.decode()
        return redirect(url_for(endpoint, slug=moved.slug) + (f"?{query}" if query else ""), 301)
    reading.depends_on_posts([post])
    # A single post embeds its whole author and tags (as single_post_schema says).
    return json_response(_dumper(staff, True, True, fields, args["formats"])(post))


@blp.route("/posts")
@cached_public
class Posts(MethodView):
    @blp.arguments(PostListArgs, location="query")
    @blp.response(200, PostPage)
    @problems(blp, 400, 401, 422)
    @blp.doc(operationId="listPosts")
    def get(self, args):
        """List published posts, newest first (staff: drafts and scheduled with `status`)

        Public: published posts, newest `published_at` first (or `sort`); filter by tags,
        authors, `featured`, words (`q`) or a publication window. A staff token may list
        drafts and scheduled posts with `status` (an author token sees its own). Follow
        `next` or pass `next_cursor` as `cursor`.
        """
        return list_page(args, "post")

    @staff(blp)
    @requires(Permission.WRITE_POSTS)
    @blp.arguments(PostWriteSchema)
    @blp.response(201, PostSchema)
    @problems(blp, 400, 401, 403, 409, 413, 422)
    @blp.doc(operationId="createPost")
    def post(self, data):
        """Create a post (draft, scheduled or published)

        Staff (admin, editor; an author token for its own author). The answer is the staff view;
        `Location` names the post, whose GET gives the `ETag` for `If-Match` on a later change.
        """
        with unit_of_work():
            post = services.create_post(current_actor(), data)
        return created(_staff_view(post), url_for("posts.Post", slug=post.slug))


@blp.route("/posts/<string:slug>")
@cached_public
class Post(MethodView):
    @blp.arguments(PostReadArgs, location="query")
    @blp.response(200, PostSchema)
    @blp.alt_response(301, **MOVED)
    @problems(blp, 401, 404, 422)
    @blp.doc(operationId="getPost")
    def get(self, args, slug):
        """Read one post with its author and tags (drafts need a staff token)

        Public for a published post; a draft or scheduled post needs a staff token that may read it
        (404 otherwise). Its author and tags are embedded whole.
        """
        return read_one(args, slug, "post", "posts.Post")

    @staff(blp)
    @requires(Permission.WRITE_POSTS)
    @blp.arguments(PostPatchSchema)
    @blp.response(200, PostSchema)
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)
    @blp.doc(operationId="updatePost")
    def patch(self, changes, slug):
        """Change a post; send If-Match with its ETag to refuse lost updates

        Staff. Only the fields sent change; `status: published` publishes it. Send the `ETag` of
        your own GET in `If-Match` to refuse a lost update (412).
        """
        with unit_of_work():
            post = services.update_post(current_actor(), slug, changes, if_match_guard(_staff_view))
        return json_response(_staff_view(post))

    @staff(blp)
    @requires(Permission.WRITE_POSTS)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 412)
    @blp.doc(operationId="deletePost")
    def delete(self, slug):
        """Delete a post

        Staff. Its comments and pingbacks go with it; `If-Match` guards against deleting a post
        someone just changed.
        """
        with unit_of_work():
            services.delete_post(current_actor(), slug, if_match_guard(_staff_view))
