"""Reply notifications over HTTP: the links in the mails (confirm, one-click
unsubscribe, no login), and the delivery log for admins."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth.guard import requires
from api.auth.policy import Permission
from api.comments import notify
from api.comments.limits import per_ip
from api.comments.schemas import (
    MailDeliveryPage,
    MailDeliverySchema,
    NotificationTokenArgs,
    SubscriptionStateSchema,
    ThreadSubscribedSchema,
    ThreadSubscriptionSchema,
)
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.web.contract import problems, staff
from api.web.fields import PageArgsSchema
from api.web.parsing import Blueprint
from api.web.responses import json_response, page_body

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/v1/notifications",
    description=(
        "Reply notifications by email: commenters subscribe with `notify_replies`, "
        "confirm with the signed link of the first mail (double opt-in), and leave with "
        "one click (RFC 8058 List-Unsubscribe-Post); admins read the delivery log."
    ),
)

_state = SubscriptionStateSchema()
_delivery = MailDeliverySchema()
TOKEN_PROBLEMS = {422: "The token is not one of our links, or it has expired"}


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _no_store(body: dict):
    return json_response(_state.dump(body), 200, {"Cache-Control": "no-store"})


@blp.route("/confirm")
class Confirm(MethodView):
    @blp.doc(security=[])
    @blp.arguments(NotificationTokenArgs, location="query")
    @blp.response(200, SubscriptionStateSchema)
    @problems(blp, 400, 422, descriptions=TOKEN_PROBLEMS)
    @blp.doc(operationId="confirmNotifications")
    def get(self, args):
        """Confirm an address for reply notifications (the link of the confirmation mail)

        Public, no login: the signed link proves the address. Its waiting subscriptions
        start; nothing was sent to it before.
        """
        with unit_of_work():
            body = notify.confirm(args["token"], _secret())
        return _no_store(body)


@blp.route("/unsubscribe")
class Unsubscribe(MethodView):
    @blp.doc(security=[])
    @blp.arguments(NotificationTokenArgs, location="query")
    @blp.response(200, SubscriptionStateSchema)
    @problems(blp, 400, 422, descriptions=TOKEN_PROBLEMS)
    @blp.doc(operationId="getNotificationSubscription")
    def get(self, args):
        """Whether the address of an unsubscribe link still gets notifications

        Public. Reading the link changes nothing (mail scanners follow links): POST to it
        to unsubscribe.
        """
        return _no_store(notify.unsubscription(args["token"], _secret()))

    @blp.doc(security=[])
    @blp.arguments(NotificationTokenArgs, location="query")
    @blp.response(200, SubscriptionStateSchema)
    @problems(blp, 400, 422, descriptions=TOKEN_PROBLEMS)
    @blp.doc(operationId="unsubscribeNotifications")
    def post(self, args):
        """Unsubscribe in one click (RFC 8058 List-Unsubscribe-Post), no login

        Public: mail clients POST `List-Unsubscribe=One-Click` here. Every subscription
        of the address ends and nothing waiting for it is sent.
        """
        with unit_of_work():
            body = notify.unsubscribe(args["token"], _secret())
        return _no_store(body)


@blp.route("/deliveries")
class Deliveries(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_SETTINGS)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, MailDeliveryPage)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="listMailDeliveries")
    def get(self, args):
        """List the notification mails, newest first, with their status and attempts

        Admin. Confirmations and digests: pending (with the next attempt), sent, or
        failed (with the last error).
        """
        page = notify.deliveries(
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=CursorCodec(_secret(), "mail-deliveries"),
        )
        return page_body(page, lambda rows: [_delivery.dump(row) for row in rows])


posts_blp = Blueprint(
    "thread_subscriptions",
    __name__,
    url_prefix="/v1/posts",
    description="Readers subscribe to a post's new comments by email (double opt-in).",
)


@posts_blp.route("/<string:slug>/subscriptions")
class ThreadSubscriptions(MethodView):
    @posts_blp.doc(security=[])
    @per_ip
    @posts_blp.arguments(ThreadSubscriptionSchema)
    @posts_blp.response(202, ThreadSubscribedSchema)
    @problems(
        posts_blp,
        *(400, 404, 409, 413, 422, 429),
        descriptions={
            404: "No published post with this slug",
            409: "This site sends no mail (`/problems/mail-off`)",
        },
    )
    @posts_blp.doc(operationId="subscribeToThread")
    def post(self, data, slug):
        """Subscribe an address to a post's new approved comments (double opt-in)

        Public. A confirmation mail with a signed link goes to the address (at most one a
        day); nothing else is sent before it is followed. Every mail has a one-click
        unsubscribe.
        """
        with unit_of_work():
            status = notify.subscribe_thread(
                slug, data["email"], current_app.config["MARGINALIA"], _secret()
            )
        return json_response({"status": status}, 202)
