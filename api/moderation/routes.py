"""The moderation queue over HTTP (MODERATION_API.md): moderators and admins only."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.moderation import audit, claims
from api.moderation import queue as moderation
from api.moderation.schemas import (
    BatchDecisionSchema,
    BatchResultSchema,
    ClaimArgsSchema,
    ClaimResultSchema,
    CountsSchema,
    DecisionSchema,
    LogArgsSchema,
    LogEntrySchema,
    LogPage,
    ModerationCommentSchema,
    ModerationPage,
    QueueArgsSchema,
)
from api.moderation.views import core_view, item_view
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import json_response, page_body

blp = Blueprint(
    "moderation",
    __name__,
    url_prefix="/v1/moderation",
    description=(
        "The moderation queue: moderators list comments with their private data, claim "
        "the next items so a team does not review the same ones twice, and approve, mark "
        "spam, trash or restore them, one at a time (If-Match) or in atomic batches. "
        "Every decision is in the moderation log."
    ),
)

_logged = LogEntrySchema()


def _settings():
    return current_app.config["MARGINALIA"]


def _codec(name: str) -> CursorCodec:
    return CursorCodec(current_app.config["SECRET_KEY"], name)


def _log_view(entry) -> dict:
    return _logged.dump(
        {
            "id": entry.id,
            "comment_id": entry.comment_id,
            "actor": {
                "token_id": entry.actor_token_id,
                "name": entry.actor_name,
                "role": entry.actor_role,
            },
            "from_status": entry.from_status,
            "to_status": entry.to_status,
            "reason": entry.reason,
            "batch_id": entry.batch_id,
            "created_at": entry.created_at,
        }
    )


def _represent(comment) -> dict:
    """What the ETag of a moderation comment is computed from (If-Match)."""
    return core_view(moderation.with_context([comment], _settings())[0])


@blp.route("/comments")
class Queue(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    # A mistyped filter (`?stauts=spam`) is a 422, never the pending queue.
    @blp.arguments(QueueArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, ModerationPage)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="listModerationComments")
    def get(self, args):
        """List the queue (pending by default), oldest first, with private data

        Moderator or admin. Comments of one status (pending by default) with their private data, the
        rules that held them and any claim; filter by post, type, rule or time.
        """
        filters = moderation.QueueFilters(
            status=args["status"],
            post=args.get("post"),
            type=args.get("type"),
            reason=args.get("reason"),
            before=args.get("before"),
            after=args.get("after"),
            newest_first=args["order"] == "newest",
        )
        page = moderation.list_queue(
            filters,
            _settings(),
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=_codec(f"moderation-{args['order']}"),
        )
        return page_body(page, lambda items: [item_view(item) for item in items])


@blp.route("/comments/<int:comment_id>")
class QueueComment(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.response(200, ModerationCommentSchema)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="getModerationComment")
    def get(self, comment_id):
        """Read one comment with its private data and ETag

        Moderator or admin. Its `ETag` (also in the body as `etag`) goes in `If-Match` when
        deciding.
        """
        body = item_view(moderation.get_item(comment_id, _settings()))
        return json_response(body, 200, {"ETag": body["etag"]})

    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ModerationCommentSchema)
    @problems(
        blp,
        *(400, 401, 403, 404, 409, 412, 413, 422),
        descriptions={
            409: "The transition is not allowed (`/problems/illegal-transition`; "
            "`detail` says why)",
            412: "If-Match does not match: someone else changed the comment",
            422: "Invalid fields, or `block_author` without status spam",
        },
    )
    @blp.doc(operationId="decideComment")
    def patch(self, data, comment_id):
        """Decide on one comment: approve, spam, trash or back to pending (If-Match)

        Allowed: pending→approved|spam|trash, approved→pending|spam|trash,
        spam→pending|trash, trash→pending. Ends any claim on the comment.
        """
        with unit_of_work():
            moderation.decide(
                current_actor(),
                comment_id,
                moderation.Decision(data["status"], data["reason"], data["block_author"]),
                _settings(),
                if_match_guard(_represent),
            )
        body = item_view(moderation.get_item(comment_id, _settings()))
        return json_response(body, 200, {"ETag": body["etag"]})


@blp.route("/comments/batch")
class Batch(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(BatchDecisionSchema)
    @blp.response(200, BatchResultSchema)
    @problems(
        blp,
        *(400, 401, 403, 409, 412, 413, 422),
        descriptions={
            409: "An id is unknown or its transition illegal (`/problems/batch-refused`): "
            "`errors` maps each such id to why; nothing was changed",
            412: "A comment changed while the batch was applied; nothing was changed",
        },
    )
    @blp.doc(operationId="decideComments")
    def post(self, data):
        """Decide on up to 500 comments at once: all of them or none

        Moderator or admin. Every comment gets the same decision in one transaction, or none does: a
        409 lists each refused id and why.
        """
        with unit_of_work():
            batch_id, ids = moderation.decide_batch(
                current_actor(),
                data["ids"],
                moderation.Decision(data["status"], data["reason"], data["block_author"]),
                _settings(),
            )
        items = moderation.items(ids, _settings())
        return json_response({"batch_id": batch_id, "items": [item_view(i) for i in items]})


@blp.route("/counts")
class Counts(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.response(200, CountsSchema)
    @problems(blp, 401, 403)
    @blp.doc(operationId="getModerationCounts")
    def get(self):
        """Count the comments of each status (one read of a four-row table)

        Moderator or admin. One read of a four-row table, kept by every change of status.
        """
        return json_response(moderation.counts())


@blp.route("/claims")
class Claims(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(ClaimArgsSchema)
    @blp.response(200, ClaimResultSchema)
    @problems(blp, 400, 401, 403, 413, 422)
    @blp.doc(operationId="claimComments")
    def post(self, data):
        """Claim the oldest pending comments nobody else holds, for the lease period

        Two moderators claiming at once never get the same comment. The caller's own
        live claims among the oldest are renewed. Deciding a comment ends its claim.
        """
        with unit_of_work():
            items, expires_at = claims.claim(current_actor(), data["limit"], _settings())
            body = ClaimResultSchema().dump({"items": [], "expires_at": expires_at})
            body["items"] = [item_view(item) for item in items]
        return json_response(body)

    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.response(204)
    @problems(blp, 401, 403)
    @blp.doc(operationId="releaseClaims")
    def delete(self):
        """Release all of the caller's claims

        Moderator or admin. The released comments are free for other moderators at once.
        """
        with unit_of_work():
            claims.release(current_actor())


@blp.route("/log")
class Log(MethodView):
    @staff(blp)
    @requires(Permission.MODERATE)
    @blp.arguments(LogArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, LogPage)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="listModerationLog")
    def get(self, args):
        """List the moderation log, newest first: who decided what, when, and why

        Moderator or admin. Every decision, newest first, with who made it (or the system), the
        statuses before and after, and the reason given.
        """
        filters = audit.LogFilters(
            comment_id=args.get("comment_id"),
            batch_id=args.get("batch_id"),
            actor=args.get("actor"),
        )
        page = audit.list_log(
            filters,
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=_codec("moderation-log"),
        )
        return page_body(page, lambda entries: [_log_view(e) for e in entries])
