"""Authors and tags over HTTP."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission, sees_content_internals
from api.cache import keys
from api.cache.keys import depends_on
from api.cache.responses import cached_public
from api.content.schemas import (
    AuthorPage,
    AuthorPatchSchema,
    AuthorSchema,
    AuthorWriteSchema,
    TagPage,
    TagPatchSchema,
    TagSchema,
    TagWriteSchema,
)
from api.content.taxonomy import authors, tags
from api.content.views import author_schema, tag_schema
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.fields import PageArgsSchema
from api.web.parsing import Blueprint
from api.web.responses import created, json_response, page_body

blp = Blueprint("taxonomy", __name__, url_prefix="/v1", description="Authors and tags")


def _codec(kind: str) -> CursorCodec:
    return CursorCodec(current_app.config["SECRET_KEY"], kind)


def _author_view(author) -> dict:
    return author_schema(staff=True).dump(author)


def _tag_view(tag) -> dict:
    return tag_schema().dump(tag)


@blp.route("/authors")
@cached_public
class Authors(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AuthorPage)
    @problems(blp, 400, 401, 422)
    @blp.doc(operationId="listAuthors")
    def get(self, args):
        """List authors by slug, with their published post counts

        Public. Each author with the count of their published posts; `email` only for staff who
        write (admin, editor, author).
        """
        page = authors.list(
            limit=args["limit"], cursor=args["cursor"], count=args["count"], codec=_codec("authors")
        )
        depends_on(keys.AUTHORS, *(keys.author(item.id) for item in page.items))
        schema = author_schema(staff=sees_content_internals(current_actor()), many=True)
        return page_body(page, schema.dump)

    @staff(blp)
    @requires(Permission.WRITE_TAXONOMY)
    @blp.arguments(AuthorWriteSchema)
    @blp.response(201, AuthorSchema)
    @problems(blp, 400, 401, 403, 409, 413, 422)
    @blp.doc(operationId="createAuthor")
    def post(self, data):
        """Create an author

        Staff (admin, editor). The slug is made from the name unless given; a taken slug is a 409.
        """
        with unit_of_work():
            author = authors.create(current_actor(), data)
        return created(_author_view(author), url_for("taxonomy.Author", slug=author.slug))


@blp.route("/authors/<string:slug>")
@cached_public
class Author(MethodView):
    @blp.response(200, AuthorSchema)
    @problems(blp, 401, 404)
    @blp.doc(operationId="getAuthor")
    def get(self, slug):
        """Read one author (email for staff only)

        Public, with the count of their published posts; `email` only for staff who write (admin,
        editor, author).
        """
        author = authors.get(slug)
        depends_on(keys.author(author.id))
        schema = author_schema(staff=sees_content_internals(current_actor()))
        return json_response(schema.dump(author))

    @staff(blp)
    @requires(Permission.WRITE_TAXONOMY)
    @blp.arguments(AuthorPatchSchema)
    @blp.response(200, AuthorSchema)
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)
    @blp.doc(operationId="updateAuthor")
    def patch(self, changes, slug):
        """Change an author; If-Match guards against lost updates

        Staff (admin, editor). Only the fields sent change; `If-Match` refuses lost updates.
        """
        with unit_of_work():
            author = authors.update(current_actor(), slug, changes, if_match_guard(_author_view))
        return json_response(_author_view(author))

    @staff(blp)
    @requires(Permission.WRITE_TAXONOMY)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 409, 412)
    @blp.doc(operationId="deleteAuthor")
    def delete(self, slug):
        """Delete an author who has no posts

        Staff (admin, editor). An author with posts is a 409: move or delete the posts first.
        """
        with unit_of_work():
            authors.delete(current_actor(), slug, if_match_guard(_author_view))


@blp.route("/tags")
@cached_public
class Tags(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, TagPage)
    @problems(blp, 400, 401, 422)
    @blp.doc(operationId="listTags")
    def get(self, args):
        """List tags by slug, with their published post counts

        Public. Each tag with the count of its published posts.
        """
        page = tags.list(
            limit=args["limit"], cursor=args["cursor"], count=args["count"], codec=_codec("tags")
        )
        depends_on(keys.TAGS, *(keys.tag(item.id) for item in page.items))
        return page_body(page, tag_schema(many=True).dump)

    @staff(blp)
    @requires(Permission.WRITE_TAXONOMY)
    @blp.arguments(TagWriteSchema)
    @blp.response(201, TagSchema)
    @problems(blp, 400, 401, 403, 409, 413, 422)
    @blp.doc(operationId="createTag")
    def post(self, data):
        """Create a tag

        Staff (admin, editor). Naming a new tag on a post creates it too.
        """
        with unit_of_work():
            tag = tags.create(current_actor(), data)
        return created(_tag_view(tag), url_for("taxonomy.Tag", slug=tag.slug))


@blp.route("/tags/<string:slug>")
@cached_public
class Tag(MethodView):
    @blp.response(200, TagSchema)
    @problems(blp, 401, 404)
    @blp.doc(operationId="getTag")
    def get(self, slug):
        """Read one tag with its published post count

        Public, with the count of its published posts.
        """
        tag = tags.get(slug)
        depends_on(keys.tag(tag.id))
        return json_response(_tag_view(tag))

    @staff(blp)
    @requires(Permission.WRITE_TAXONOMY)
    @blp.arguments(TagPatchSchema)
    @blp.response(200, TagSchema)
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)
    @blp.doc(operationId="updateTag")
    def patch(self, changes, slug):
        """Change a tag; If-Match guards against lost updates

        Staff (admin, editor). Only the fields sent change; `If-Match` refuses lost updates.
        """
        with unit_of_work():
            tag = tags.update(current_actor(), slug, changes, if_match_guard(_tag_view))
        return json_response(_tag_view(tag))

    @staff(blp)
    @requires(Permission.WRITE_TAXONOMY)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 412)
    @blp.doc(operationId="deleteTag")
    def delete(self, slug):
        """Delete a tag (its posts keep their other tags)

        Staff (admin, editor). The tag leaves its posts, which keep their other tags.
        """
        with unit_of_work():
            tags.delete(current_actor(), slug, if_match_guard(_tag_view))
