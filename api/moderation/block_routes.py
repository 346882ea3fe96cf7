"""Block rules over HTTP (/v1/moderation/blocks): moderators and admins keep them."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.comments import blocks
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.moderation import queue as moderation
from api.moderation.schemas import (
    BlockArgsSchema,
    BlockAuthorResultSchema,
    BlockAuthorSchema,
    BlockPage,
    BlockPatchSchema,
    BlockSchema,
    BlockWriteSchema,
)
from api.web.conditional import etag_of_data, if_match_guard
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import created, json_response, page_body

blp = Blueprint(
    "blocks",
    __name__,
    url_prefix="/v1/moderation",
    description=(
        "Block rules: an email, an email domain, an IP address or CIDR range (IPv4, IPv6), "
        "an OIDC identity, a word or a regular expression, each holding, marking spam or "
        "shadow-blocking the comments it matches, until an optional expiry. Every "
        "verdict is stored with the comment's reasons (rule `blocked` or `shadow_block`)."
    ),
)

_schema = BlockSchema()


def _view(row) -> dict:
    return _schema.dump(row)


def _with_etag(row, status: int = 200):
    body = _view(row)
    return json_response(body, status, {"ETag": etag_of_data(body)})


@blp.route("/blocks")
class Blocks(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(BlockArgsSchema, location="query")
    @blp.response(200, BlockPage)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="listBlocks")
    def get(self, args):
        """List the block rules, oldest first (expired ones too)

        Moderator or admin. Filter with `kind`; an expired rule stays listed (and inert)
        until deleted.
        """
        page = blocks.list_blocks(
            kind=args.get("kind"),
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=CursorCodec(current_app.config["SECRET_KEY"], "blocks"),
        )
        return page_body(page, lambda rows: [_view(row) for row in rows])

    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(BlockWriteSchema)
    @blp.response(201, BlockSchema)
    @problems(
        blp,
        *(400, 401, 403, 409, 413, 422),
        descriptions={
            409: "A rule with this kind and value exists (`/problems/block-exists`)",
            422: "Invalid fields: a value that is not of its kind, a regex that does not "
            "compile or matches everything, an expiry in the past",
        },
    )
    @blp.doc(operationId="createBlock")
    def post(self, data):
        """Create a block rule

        Moderator or admin. The value is normalised (emails and domains case-folded,
        one IPv6 address widened to its /64); a regex is checked to compile and not to
        match empty text.
        """
        with unit_of_work():
            row = blocks.create_block(current_actor().name, blocks.BlockInput(**data))
        return created(_view(row), url_for("blocks.Block", block_id=row.id))


@blp.route("/blocks/<int:block_id>")
class Block(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.response(200, BlockSchema)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="getBlock")
    def get(self, block_id):
        """Read one block rule with its ETag

        Moderator or admin.
        """
        return _with_etag(blocks.get_block(block_id))

    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(BlockPatchSchema)
    @blp.response(200, BlockSchema)
    @problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)
    @blp.doc(operationId="updateBlock")
    def patch(self, changes, block_id):
        """Change a block rule (action, expiry, note, value); If-Match refuses lost updates

        Moderator or admin. Only the fields sent change.
        """
        with unit_of_work():
            row = blocks.update_block(block_id, changes, if_match_guard(_view))
        return _with_etag(row)

    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 412)
    @blp.doc(operationId="deleteBlock")
    def delete(self, block_id):
        """Delete a block rule

        Moderator or admin. Comments it already judged keep their status.
        """
        with unit_of_work():
            blocks.delete_block(block_id, if_match_guard(_view))


@blp.route("/comments/<int:comment_id>/block")
class BlockAuthor(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(BlockAuthorSchema)
    @blp.response(200, BlockAuthorResultSchema)
    @problems(
        blp,
        *(400, 401, 403, 404, 409, 413, 422),
        descriptions={
            404: "No such comment",
            409: "`mark_spam` and the comment cannot become spam",
            422: "Invalid fields, or the comment has none of the `fields` asked for",
        },
    )
    @blp.doc(operationId="blockCommentAuthor")
    def post(self, data, comment_id):
        """Block this comment's author in one call (and, on request, mark it spam)

        Moderator or admin. One rule per field asked for (default: the email, IP and
        OIDC identity the comment has); a field already blocked keeps its rule.
        """
        actor = current_actor()
        with unit_of_work():
            rows = blocks.block_author(
                actor.name,
                comment_id,
                tuple(data["fields"]) if data["fields"] else None,
                data["action"],
                expires_at=data["expires_at"],
                note=data["note"],
            )
            if data["mark_spam"]:
                moderation.decide(
                    actor,
                    comment_id,
                    moderation.Decision("spam", data["note"] or "Blocked its author."),
                    current_app.config["MARGINALIA"],
                    None,
                )
            body = {"items": [_view(row) for row in rows]}
        return json_response(body)
