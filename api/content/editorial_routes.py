"""Revisions, pending drafts and preview links over HTTP (docs/revisions.md)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.content import editorial, revisions
from api.content.editorial_schemas import (
    DiffArgs,
    DiffSchema,
    DraftSchema,
    DraftWriteSchema,
    PreviewLinkSchema,
    PreviewLinkWriteSchema,
    PreviewSchema,
    RevisionListArgs,
    RevisionPage,
    RevisionSchema,
    RevisionSummarySchema,
)
from api.content.schemas import PostSchema
from api.content.views import single_post_schema
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import created, json_response, page_body

blp = Blueprint(
    "editorial", __name__, url_prefix="/v1", description="Revisions, drafts and previews"
)
IF_MATCH = {"x-if-match": True}
_SUMMARY = RevisionSummarySchema()
_REVISION = RevisionSchema()
_DRAFT = DraftSchema()
_LINK = PreviewLinkSchema()
_PREVIEW = PreviewSchema()
_DIFF = DiffSchema()
PRIVATE = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


def _staff_view(post) -> dict:
    return single_post_schema(True).dump(post)


def _draft_view(post, draft) -> dict:
    return _DRAFT.dump(
        {
            "post": post.slug,
            "changes": draft.changes,
            "publish_at": draft.publish_at,
            "saved_at": draft.saved_at,
            "saved_by": {"name": draft.saved_by_name, "role": draft.saved_by_role},
        }
    )


def _settings():
    return current_app.config["MARGINALIA"]


def _draft_guard(slug: str, kind: str):
    def represent(draft) -> dict:
        return _draft_view(editorial.post_for_revisions(current_actor(), slug, kind), draft)

    return if_match_guard(represent)


def _routes(kind: str, plural: str, noun: str) -> None:
    """The same operations for posts and for pages (`noun` names their operationIds)."""

    def doc(view):
        view.__doc__ = view.__doc__.replace("post", kind)
        return view

    @blp.route(f"/{plural}/<string:slug>/revisions", endpoint=f"{kind}_Revisions")
    class Revisions(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.arguments(RevisionListArgs, location="query")
        @blp.response(200, RevisionPage)
        @problems(blp, 400, 401, 403, 404, 422)
        @blp.doc(operationId=f"list{noun}Revisions")
        @doc
        def get(self, args, slug):
            """List a post's revisions, newest first

            Staff who may write the post. Every create and update (API, CLI, importer, the
            scheduled publisher) is one revision: who, when, and which fields changed.
            """
            post = editorial.post_for_revisions(current_actor(), slug, kind=kind)
            codec = CursorCodec(_settings().secret_key, f"revisions:{kind}:{post.id}")
            page = revisions.list_revisions(
                post.id,
                limit=args["limit"],
                cursor=args["cursor"],
                codec=codec,
                count=args["count"],
            )
            return page_body(page, lambda items: _SUMMARY.dump(items, many=True))

    @blp.route(f"/{plural}/<string:slug>/revisions/<int:number>", endpoint=f"{kind}_Revision")
    class Revision(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(200, RevisionSchema)
        @problems(blp, 401, 403, 404)
        @blp.doc(operationId=f"get{noun}Revision")
        @doc
        def get(self, slug, number):
            """Read one revision with its whole snapshot

            The editable fields as that version had them: the body in Markdown, the author and
            tags by slug.
            """
            return json_response(
                _REVISION.dump(editorial.get_revision(current_actor(), slug, number, kind=kind))
            )

    @blp.route(
        f"/{plural}/<string:slug>/revisions/<int:number>/diff", endpoint=f"{kind}_RevisionDiff"
    )
    class RevisionDiff(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.arguments(DiffArgs, location="query")
        @blp.response(200, DiffSchema)
        @problems(blp, 401, 403, 404, 422)
        @blp.doc(operationId=f"diff{noun}Revisions")
        @doc
        def get(self, args, slug, number):
            """Compare two revisions: a unified diff of the body, the other fields one by one

            `against` names the older side (default: the revision before this one).
            """
            actor = current_actor()
            against = args.get("against")
            if against is None and number > 1:
                against = number - 1
            if against is None:
                new = editorial.get_revision(actor, slug, number, kind)
                body = {
                    "revision": number,
                    "against": None,
                    **revisions.diff({}, new.snapshot, "nothing", f"revision {number}"),
                }
            else:
                body = editorial.diff_revisions(actor, slug, number, against, kind)
            return json_response(_DIFF.dump(body))

    @blp.route(
        f"/{plural}/<string:slug>/revisions/<int:number>/restore",
        endpoint=f"{kind}_RevisionRestore",
    )
    class RevisionRestore(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(200, PostSchema)
        @problems(blp, 401, 403, 404, 409, 412, 422)
        @blp.doc(operationId=f"restore{noun}Revision", **IF_MATCH)
        @doc
        def post(self, slug, number):
            """Restore a revision's content; send If-Match with the post's ETag

            The title, body, excerpt, author, tags, comments_open and Ghost's fields come back;
            the slug, status and dates stay. Restoring is a new revision and records the
            update's events and `post.revision_restored`.
            """
            with unit_of_work():
                post = editorial.restore_revision(
                    current_actor(), slug, number, if_match_guard(_staff_view), kind
                )
            return json_response(_staff_view(post))

    @blp.route(f"/{plural}/<string:slug>/draft", endpoint=f"{kind}_Draft")
    class Draft(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(200, DraftSchema)
        @problems(blp, 401, 403, 404)
        @blp.doc(operationId=f"get{noun}Draft")
        @doc
        def get(self, slug):
            """Read a published post's pending draft

            Its `ETag` goes in `If-Match` when publishing it. 404 when there is none.
            """
            post, draft = editorial.get_draft(current_actor(), slug, kind=kind)
            return json_response(_draft_view(post, draft))

        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.arguments(DraftWriteSchema)
        @blp.response(200, DraftSchema)
        @problems(blp, 400, 401, 403, 404, 409, 413, 422)
        @blp.doc(operationId=f"save{noun}Draft")
        @doc
        def put(self, data, slug):
            """Save pending changes to a published post; readers keep seeing the post as it is

            The fields of a PATCH (not its status or dates), replacing any pending draft.
            `publish_at` lets the worker publish it then. 409 for a post that is not published
            (change it directly).
            """
            publish_at = data.pop("publish_at", None)
            with unit_of_work():
                draft = editorial.save_draft(current_actor(), slug, data, publish_at, kind)
                view = _draft_view(
                    editorial.post_for_revisions(current_actor(), slug, kind=kind), draft
                )
            return json_response(view)

        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(204)
        @problems(blp, 401, 403, 404, 412)
        @blp.doc(operationId=f"discard{noun}Draft")
        @doc
        def delete(self, slug):
            """Discard a published post's pending draft

            The post stays as readers see it. `If-Match` takes the draft's `ETag`.
            """
            with unit_of_work():
                editorial.discard_draft(current_actor(), slug, _draft_guard(slug, kind), kind)

    @blp.route(f"/{plural}/<string:slug>/draft/publish", endpoint=f"{kind}_DraftPublish")
    class DraftPublish(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(200, PostSchema)
        @problems(blp, 401, 403, 404, 409, 412, 422)
        @blp.doc(operationId=f"publish{noun}Draft", **IF_MATCH)
        @doc
        def post(self, slug):
            """Publish a post's pending draft in one transaction; If-Match takes the draft's ETag

            One revision and one `post.draft_published` event; the draft is gone after.
            """
            with unit_of_work():
                post = editorial.publish_draft(
                    current_actor(), slug, _draft_guard(slug, kind), kind
                )
            return json_response(_staff_view(post))

    @blp.route(f"/{plural}/<string:slug>/preview-links", endpoint=f"{kind}_PreviewLinks")
    class PreviewLinks(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(200, PreviewLinkSchema(many=True))
        @problems(blp, 401, 403, 404)
        @blp.doc(operationId=f"list{noun}PreviewLinks")
        @doc
        def get(self, slug):
            """List a post's unexpired preview links

            Without their URLs: a link is shown once, when it is made.
            """
            links = editorial.list_preview_links(current_actor(), slug, kind=kind)
            return json_response(PreviewLinkSchema(many=True, exclude=("url",)).dump(links))

        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.arguments(PreviewLinkWriteSchema)
        @blp.response(201, PreviewLinkSchema)
        @problems(blp, 400, 401, 403, 404, 413, 422)
        @blp.doc(operationId=f"create{noun}PreviewLink")
        @doc
        def post(self, data, slug):
            """Make a signed, expiring link that shows a draft to anyone holding it

            It shows the pending draft of a published post (or the post itself, a draft), or
            one `revision`, at `/v1/preview/{token}` without a staff token, for `expires_in`
            seconds (at most 7 days) or until revoked.
            """
            settings = _settings()
            with unit_of_work():
                link, token = editorial.create_preview_link(
                    current_actor(),
                    slug,
                    data["expires_in"],
                    data.get("revision"),
                    secret=settings.secret_key,
                    longest=settings.preview_link_max_seconds,
                    kind=kind,
                )
            body = _LINK.dump(link) | {"url": f"{settings.api_url.rstrip('/')}/v1/preview/{token}"}
            return created(body, f"/v1/preview/{token}")

    @blp.route(
        f"/{plural}/<string:slug>/preview-links/<int:link_id>", endpoint=f"{kind}_PreviewLink"
    )
    class PreviewLink(MethodView):
        @staff(blp)
        @requires(Permission.WRITE_POSTS)
        @blp.response(204)
        @problems(blp, 401, 403, 404)
        @blp.doc(operationId=f"revoke{noun}PreviewLink")
        @doc
        def delete(self, slug, link_id):
            """Revoke a preview link

            Its URL answers 404 from now on, like an expired one.
            """
            with unit_of_work():
                editorial.revoke_preview_link(current_actor(), slug, link_id, kind=kind)


_routes("post", "posts", "Post")
_routes("page", "pages", "Page")


@blp.route("/preview/<string:token>")
class Preview(MethodView):
    @blp.response(200, PreviewSchema)
    @problems(blp, 404)
    @blp.doc(operationId="getPreview")
    def get(self, token):
        """Show the version of a post a preview link names (no token needed)

        `Cache-Control: private, no-store` and `X-Robots-Tag: noindex`: never cached by the
        response cache or a CDN. Expired, revoked and altered links are all 404.
        """
        body = _PREVIEW.dump(editorial.preview(token, secret=_settings().secret_key))
        return json_response(body, 200, PRIVATE)
