"""Comments over HTTP: readers list and submit; a commenter edits with their edit token."""

from __future__ import annotations

import functools

from flask import current_app, request, url_for
from flask.views import MethodView

from api.auth.commenters import (
    checks_commenter_first,
    commenter_identity,
    edit_token,
    needs_edit_token,
)
from api.auth.guard import accepts_commenter_tokens
from api.cache.responses import cached_public
from api.comments import intake, reading
from api.comments.limits import comment_rate_limits
from api.comments.rules import shown_status
from api.comments.schemas import (
    CommentEditSchema,
    CommentPage,
    CommentSchema,
    CommentSubmitSchema,
    CommentTokenSchema,
    OwnCommentSchema,
    SubmittedCommentSchema,
    ThreadArgsSchema,
)
from api.comments.views import own_comment_view, public_comment
from api.infra.database import reads_outside_transaction
from api.infra.group_commit import committed_together
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.web.clients import client_ip
from api.web.conditional import if_match_guard
from api.web.contract import problems
from api.web.fields import rfc3339
from api.web.parsing import Blueprint, plain_json_body
from api.web.responses import json_response, page_body

blp = Blueprint(
    "comments",
    __name__,
    url_prefix="/v1",
    description=(
        "Comments: readers list approved comments and pingbacks and submit comments, "
        "anonymously or with an OIDC token. Each comment passes named rules that refuse it "
        "(403 closed, 429 flood, 409 duplicate) or give it a status (approved, pending, "
        "spam) with the reasons stored for moderators."
    ),
)

RETRY_AFTER = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
SUBMIT_PROBLEMS = {
    401: "The bearer token was refused (`/problems/invalid-token`: expired, not yet valid, "
    "wrong `aud` or `iss`, untrusted issuer, disallowed `alg`, unknown `kid`, bad signature), "
    "or anonymous comments are off and none was sent",
    403: "Comments are closed on this post (`/problems/comments-closed`)",
    404: "No published post with this slug",
    409: "The same author already said the same on this post (`/problems/duplicate-comment`)",
    422: "Invalid fields, a required author field missing, or an unusable `parent_id` "
    "(not an approved comment of this post, or too deep)",
    429: "Too fast (`/problems/flood`) or over a rate limit (`/problems/too-many-requests`)",
    503: "The token's issuer cannot be reached to verify it (`/problems/issuer-unavailable`), "
    "or the rate limiter's store (Redis) is unreachable (`/problems/unavailable`)",
}
EDIT_PROBLEMS = {
    401: "No edit token, or not this comment's (also when no comment has this id: a wrong "
    "token tells nothing about which comments exist)",
    403: "The edit window has closed",
    404: "No such comment (or it was deleted)",
}

_public = CommentSchema()
_own = OwnCommentSchema()


def _settings():
    return current_app.config["MARGINALIA"]


def _own_view(comment) -> dict:
    body = _own.dump(comment)
    shown = shown_status(comment.status, comment.reasons)
    if shown != comment.status and shown == "approved":
        body["status"] = shown  # a shadow block: answered as if it were accepted
    return body


_submit_schema = CommentSubmitSchema()


def plain_submissions_first(documented):
    """The hot POST without the generic decorator stack for a plain submission.

    A well-formed JSON body that the schema loads goes straight to `_submit`; anything
    else (no JSON, bad JSON, invalid fields) goes through the documented stack below
    (webargs, smorest), which refuses it with the usual problem. The decorators above
    (the commenter's token, the rate limits) run for both. Measured in-process on
    SQLite: webargs built a schema per request and smorest's eleven wrappers
    (`@blp.response`, nine `@problems` responses, `@blp.arguments`) added ~0.3 ms of
    a ~3.5 ms comment. The documentation (and the contract) stay the documented stack's:
    `functools.wraps` carries its `_apidoc` and its name (the rate limits' key).
    """

    @functools.wraps(documented)
    def view(self, **kwargs):
        data = plain_json_body(_submit_schema)
        if data is None:
            return documented(self, **kwargs)  # webargs adds the parsed body positionally
        return _submit(data, kwargs["slug"])

    return view


def _submit(data: dict, slug: str):
    submission = intake.Submission(
        body=data["body"],
        parent_id=data.get("parent_id"),
        author_name=data.get("author_name"),
        author_email=data.get("author_email"),
        author_url=data.get("author_url"),
        identity=commenter_identity(),
        ip=client_ip(),
        user_agent=request.user_agent.string or None,
        referrer=request.referrer,
        form_token=data.get("form_token"),
        honeypot=data.get("honeypot"),
        notify_replies=data.get("notify_replies", False),
    )
    reads_outside_transaction()  # the write is the group commit's
    decided = intake.decide_comment(slug, submission, _settings(), current_app.config["SECRET_KEY"])
    receipt = committed_together(intake.store_comments, decided)
    body = own_comment_view(receipt.comment)  # SubmittedCommentSchema's fields, in its order
    if receipt.shown_status == "approved":
        body["status"] = "approved"  # a shadow block answers as if accepted
    body["edit_token"] = receipt.edit_token
    body["editable_until"] = rfc3339(receipt.editable_until)
    location = url_for("comments.Comment", comment_id=receipt.comment.id)
    return json_response(body, 202, {"Location": location})


@blp.route("/posts/<string:slug>/comments")
@cached_public
class PostComments(MethodView):
    @blp.arguments(ThreadArgsSchema, location="query")
    @blp.response(200, CommentPage)
    @problems(blp, 400, 404, 422, descriptions={404: "No published post with this slug"})
    @blp.doc(operationId="listComments")
    def get(self, args, slug):
        """List a published post's approved comments and pingbacks, oldest or newest first

        Public. Approved comments and pingbacks of a published post, oldest first
        (`sort=newest`: newest first); build threads with `parent_id`.
        """
        page = reading.list_approved(
            slug,
            _settings(),
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            sort=args["sort"],
            codec=CursorCodec(
                current_app.config["SECRET_KEY"],
                "comments" if args["sort"] == "oldest" else "comments-newest",
            ),
        )
        return page_body(page, lambda rows: [public_comment(row) for row in rows])

    @blp.doc(
        # Public: `[{}, {"oidcToken": []}]` would say the same, but generators (e.g.
        # openapi-python-client) then demand an authenticated client for every call.
        security=[],
        description=(
            "Anonymous, with `author_name`/`author_email`/`author_url` (which are required "
            "is a discussion setting), or as an OIDC identity with `Authorization: Bearer "
            "<JWT>` from a trusted issuer (the `oidcToken` scheme; then the author fields "
            "come from the token's claims). "
            "202: the comment is stored; `status` is `approved` or `pending` (a held or "
            "spam comment is reported as pending). `Location` names the comment and "
            "`edit_token` (shown once) lets its author edit or delete it during the edit "
            "window. Refusals: 403 `/problems/comments-closed`, 409 "
            "`/problems/duplicate-comment`, 429 `/problems/flood` or "
            "`/problems/too-many-requests` (rate limits: per IP for anonymous commenters, "
            "per identity for OIDC ones, per post, where only comments taken count), each "
            "with `Retry-After`. A bearer "
            "token that does not verify is a 401, never an anonymous comment; 503 when "
            "its issuer cannot be reached."
        ),
    )
    @accepts_commenter_tokens
    @comment_rate_limits
    @checks_commenter_first
    @plain_submissions_first
    @blp.arguments(CommentSubmitSchema)
    @blp.response(
        202,
        SubmittedCommentSchema,
        description="Stored, approved or waiting for a moderator",
        headers={
            "Location": {"description": "The comment's URL", "schema": {"type": "string"}},
        },
    )
    @problems(
        blp,
        *(400, 401, 403, 404, 409, 413, 422, 429, 503),
        descriptions=SUBMIT_PROBLEMS,
        headers={503: RETRY_AFTER},
    )
    @blp.doc(operationId="submitComment")
    def post(self, data, slug):
        """Submit a comment (anonymous, or as an OIDC identity)"""
        return _submit(data, slug)


@blp.route("/posts/<string:slug>/comment-token")
class PostCommentToken(MethodView):
    @blp.doc(security=[])
    @blp.response(200, CommentTokenSchema)
    @problems(blp, 403, 404, descriptions={403: "Comments are closed on this post"})
    @blp.doc(operationId="getCommentToken")
    def get(self, slug):
        """Get a signed comment-form token (fetch it when the form is shown)

        Public, never cached. The token is bound to the post and to the browser's
        User-Agent; send it back as `form_token`. A comment sent before `not_before` or
        after `expires_at`, with a forged token or none, is held for a moderator or
        refused (the `comment_token_invalid` setting).
        """
        body = intake.comment_token(
            slug,
            request.user_agent.string or None,
            _settings(),
            current_app.config["SECRET_KEY"],
        )
        body = CommentTokenSchema().dump(body)
        return json_response(body, 200, {"Cache-Control": "no-store"})


@blp.route("/comments/<int:comment_id>")
@accepts_commenter_tokens
class Comment(MethodView):
    @blp.response(200, OwnCommentSchema)
    @problems(blp, 401, 404, descriptions=EDIT_PROBLEMS)
    @blp.doc(operationId="getComment")
    def get(self, comment_id):
        """Read one comment: approved ones for anyone; any status with its edit token

        Send `Authorization: Bearer <edit_token>` to read your own comment whatever its
        status (with its Markdown `body`); a wrong token is a 401.
        """
        comment, own = reading.comment_for(comment_id, edit_token(), _settings())
        return json_response(_own_view(comment) if own else _public.dump(comment))

    @blp.doc(security=[{"commentEditToken": []}])
    @needs_edit_token
    @blp.arguments(CommentEditSchema)
    @blp.response(200, OwnCommentSchema)
    @problems(blp, 400, 401, 403, 404, 412, 413, 422, descriptions=EDIT_PROBLEMS)
    @blp.doc(operationId="updateComment")
    def patch(self, data, comment_id):
        """Edit your comment's text within the edit window (the rules judge it again)

        With the comment's edit token, within the edit window. The rules judge the new text again,
        so an edited comment may go back to the moderation queue.
        """
        with unit_of_work():
            comment = intake.edit_comment(
                comment_id, edit_token(), data["body"], _settings(), if_match_guard(_own_view)
            )
        return json_response(_own_view(comment))

    @blp.doc(security=[{"commentEditToken": []}])
    @needs_edit_token
    @blp.response(204)
    @problems(blp, 401, 403, 404, 412, descriptions=EDIT_PROBLEMS)
    @blp.doc(operationId="deleteComment")
    def delete(self, comment_id):
        """Delete your comment within the edit window (it goes to the trash)

        With the comment's edit token, within the edit window: the comment goes to the trash and
        leaves the public thread.
        """
        with unit_of_work():
            intake.withdraw_comment(
                comment_id, edit_token(), _settings(), if_match_guard(_own_view)
            )
