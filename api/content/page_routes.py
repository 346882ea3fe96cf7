"""Pages over HTTP: the posts' routes and rules for rows of type "page"."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.cache.responses import cached_public
from api.content import services
from api.content.routes import MOVED, list_page, read_one
from api.content.schemas import (
    PagePage,
    PagePatchSchema,
    PageSchema,
    PageWriteSchema,
    PostListArgs,
    PostReadArgs,
)
from api.content.views import single_post_schema
from api.infra.unit_of_work import unit_of_work
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import created, json_response

blp = Blueprint("content_pages", __name__, url_prefix="/v1", description="Static pages")


def _staff_view(page) -> dict:
    return single_post_schema(True).dump(page)


@blp.route("/pages")
@cached_public
class Pages(MethodView):
    @blp.doc(operationId="listPages")
    @blp.arguments(PostListArgs, location="query")
    @blp.response(200, PagePage)
    @problems(blp, 400, 401, 422)
    def get(self, args):
        """List published pages, newest first (staff: drafts and scheduled with `status`)

        Pages never appear in /v1/posts. The same filters, orders and cursors as posts.
        """
        return list_page(args, "page")

    @blp.doc(operationId="createPage")
    @staff(blp)
    @requires(Permission.WRITE_POSTS)
    @blp.arguments(PageWriteSchema)
    @blp.response(201, PageSchema)
    @problems(blp, 400, 401, 403, 409, 413, 422)
    def post(self, data):
        """Create a page (draft, scheduled or published); comments stay closed unless opened

        A page's slug is unique across posts and pages. Staff with the posts permission.
        """
        with unit_of_work():
            page = services.create_post(current_actor(), data, "page")
        return created(_staff_view(page), url_for("content_pages.Page", slug=page.slug))


@blp.route("/pages/<string:slug>")
@cached_public
class Page(MethodView):
    @blp.doc(operationId="getPage")
    @blp.arguments(PostReadArgs, location="query")
    @blp.response(200, PageSchema)
    @blp.alt_response(301, **MOVED)
    @problems(blp, 401, 404, 422)
    def get(self, args, slug):
        """Read one page with its author and tags (drafts need a staff token)

        An old slug answers 301 to the current one.
        """
        return read_one(args, slug, "page", "content_pages.Page")

    @blp.doc(operationId="updatePage")
    @staff(blp)
    @requires(Permission.WRITE_POSTS)
    @blp.arguments(PagePatchSchema)
    @blp.response(200, PageSchema)
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)
    def patch(self, changes, slug):
        """Change a page; send If-Match with its ETag to refuse lost updates

        Only the fields sent change; `null` clears an optional field.
        """
        with unit_of_work():
            page = services.update_post(
                current_actor(), slug, changes, if_match_guard(_staff_view), "page"
            )
        return json_response(_staff_view(page))

    @blp.doc(operationId="deletePage")
    @staff(blp)
    @requires(Permission.WRITE_POSTS)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 412)
    def delete(self, slug):
        """Delete a page, its comments with it

        Send If-Match with its ETag to refuse deleting a page someone changed meanwhile.
        """
        with unit_of_work():
            services.delete_post(current_actor(), slug, if_match_guard(_staff_view), "page")
