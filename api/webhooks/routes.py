"""Webhook endpoints, their delivery log and resends over HTTP (admin only)."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView

from api.auth.guard import requires
from api.auth.policy import Permission
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.web.conditional import if_match_guard
from api.web.contract import problems, staff
from api.web.fields import PageArgsSchema
from api.web.parsing import Blueprint
from api.web.responses import created, json_response, page_body
from api.webhooks import services
from api.webhooks.schemas import (
    DeliveryListArgs,
    DeliveryPage,
    DeliverySchema,
    EndpointPage,
    EndpointPatchSchema,
    EndpointSchema,
    EndpointWithSecretSchema,
    EndpointWriteSchema,
    ResendFailedSchema,
    ResentSchema,
)

DESCRIPTION = """Webhook endpoints and their deliveries ([Standard Webhooks](https://www.standardwebhooks.com/)).

**What a delivery is.** `POST <your url>` with `Content-Type: application/json` and the
body `{"id", "type", "timestamp", "data"}`, byte for byte the event as `GET /v1/events`
lists it. Headers: `webhook-id` (the event id: the same on every retry and resend),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` keyed with the
base64-decoded part of your `whsec_` secret). After a secret rotation the header carries
two space-separated signatures, new and old, until `previous_secret_expires_at`. Any
Standard Webhooks library verifies it: `Webhook(secret).verify(body, headers)`.

**What counts as delivered.** Only a 2xx answer within the timeout (15 s by default).
Redirects are not followed (a 3xx is a failure). `410 Gone` disables the endpoint.
`429`/`503` with `Retry-After` are retried no sooner than asked.

**Retries.** Immediately, then after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
(+-10% jitter); after the last failure the delivery is `failed` and can be resent by
hand. While an endpoint does not answer at all (refused, timeout), its other deliveries
wait behind the one being retried instead of each timing out. An endpoint whose every
attempt has failed for 5 days is disabled with a `disabled_reason`; `PATCH` it with
`active: true` to re-enable it, and deliveries still pending go out.

**What you may rely on.**
* At least once: every event you subscribed to is delivered until it succeeds or its
  retries run out. A worker crash, restart or lost queue can cause a repeat, never a
  loss. Deduplicate by `webhook-id`.
* Order: to one endpoint, deliveries go out one at a time in event order while the
  endpoint answers 2xx. A delivery retried after an error answer can arrive after later
  events (a resend too); sort by `id` (commit order) if order matters, or re-read the
  resource.
* Catching up: `GET /v1/events?after=<last id you processed>` returns the same payloads
  in commit order, so a consumer that was down can replay instead of waiting for retries.
* The attempt log (status, duration, first 2 KB of the answer, error) is kept for 30 days
  by default.
"""

blp = Blueprint("webhooks", __name__, url_prefix="/v1", description=DESCRIPTION)
_endpoint = EndpointSchema()
_with_secret = EndpointWithSecretSchema()
_delivery = DeliverySchema()


def _codec(name: str) -> CursorCodec:
    return CursorCodec(current_app.config["SECRET_KEY"], name)


def _view(endpoint) -> dict:
    return _endpoint.dump(endpoint)


def _secret_view(endpoint, secret: str) -> dict:
    body = _with_secret.dump(endpoint)
    body["secret"] = secret
    return body


def _location(endpoint) -> str:
    return url_for("webhooks.WebhookEndpoint", endpoint_id=endpoint.id)


@blp.route("/webhooks")
class WebhookEndpoints(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, EndpointPage)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="listWebhooks")
    def get(self, args):
        """List webhook endpoints

        Admin. Every endpoint, secrets left out.
        """
        page = services.list_endpoints(
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=_codec("webhooks"),
        )
        return page_body(page, lambda items: _endpoint.dump(items, many=True))

    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.arguments(EndpointWriteSchema)
    @blp.response(201, EndpointWithSecretSchema)
    @problems(blp, 400, 401, 403, 413, 422)
    @blp.doc(operationId="createWebhook")
    def post(self, data):
        """Register an endpoint; its signing secret is in this response only

        Admin. The URL must pass the outbound guard (no internal addresses). The signing secret is
        in this answer only.
        """
        with unit_of_work():
            endpoint, secret = services.create_endpoint(data)
        return created(_secret_view(endpoint, secret), _location(endpoint))


@blp.route("/webhooks/<int:endpoint_id>")
class WebhookEndpoint(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.response(200, EndpointSchema)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="getWebhook")
    def get(self, endpoint_id):
        """Read an endpoint (why it was disabled, since when it fails)

        Admin. Its subscription, whether it is active, and why and since when it fails.
        """
        return json_response(_view(services.get_endpoint(endpoint_id)))

    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.arguments(EndpointPatchSchema)
    @blp.response(200, EndpointSchema)
    @problems(blp, 400, 401, 403, 404, 412, 413, 422)
    @blp.doc(operationId="updateWebhook")
    def patch(self, changes, endpoint_id):
        """Change an endpoint; `active: true` re-enables a disabled one

        Admin. Only the fields sent change; `active: true` re-enables a disabled endpoint and sends
        what is still pending. `If-Match` refuses lost updates.
        """
        with unit_of_work():
            endpoint = services.update_endpoint(endpoint_id, changes, if_match_guard(_view))
        return json_response(_view(endpoint))

    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.response(204)
    @problems(blp, 401, 403, 404, 412)
    @blp.doc(operationId="deleteWebhook")
    def delete(self, endpoint_id):
        """Delete an endpoint with its deliveries and their log

        Admin. Pending deliveries are dropped with the endpoint.
        """
        with unit_of_work():
            services.delete_endpoint(endpoint_id, if_match_guard(_view))


@blp.route("/webhooks/<int:endpoint_id>/rotate-secret")
class WebhookSecret(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.response(200, EndpointWithSecretSchema)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="rotateWebhookSecret")
    def post(self, endpoint_id):
        """Rotate the secret; the old one keeps signing during the overlap (24 h)

        Admin. The new secret is in this answer only; deliveries carry both signatures until
        `previous_secret_expires_at`.
        """
        with unit_of_work():
            endpoint, secret = services.rotate_secret(endpoint_id)
        return json_response(_secret_view(endpoint, secret))


@blp.route("/webhooks/<int:endpoint_id>/test")
class WebhookTest(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.response(202, DeliverySchema)
    @problems(blp, 401, 403, 404, 409)
    @blp.doc(operationId="testWebhook")
    def post(self, endpoint_id):
        """Send a `webhook.test` event to this endpoint only

        Admin. Records a `webhook.test` event delivered to this endpoint only (it also shows in the
        event feed); 409 when the endpoint is disabled.
        """
        with unit_of_work():
            delivery = services.send_test(endpoint_id)
        return json_response(_delivery.dump(delivery), 202)


@blp.route("/webhooks/<int:endpoint_id>/deliveries")
class WebhookDeliveries(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, DeliveryPage)
    @problems(blp, 400, 401, 403, 404, 422)
    @blp.doc(operationId="listWebhookDeliveries")
    def get(self, args, endpoint_id):
        """List an endpoint's deliveries with their attempts, newest event first

        Admin. Deliveries with every attempt, newest event first; `status=failed` lists what to
        resend.
        """
        page = services.list_deliveries(
            endpoint_id,
            args.get("status"),
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=_codec(f"webhook-deliveries:{endpoint_id}"),
        )
        return page_body(page, lambda items: _delivery.dump(items, many=True))


@blp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>")
class WebhookDelivery(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.response(200, DeliverySchema)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="getWebhookDelivery")
    def get(self, endpoint_id, delivery_id):
        """Read one delivery with every attempt

        Admin. A delivery with every attempt made.
        """
        return json_response(_delivery.dump(services.get_delivery(endpoint_id, delivery_id)))


@blp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
class WebhookResend(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.response(202, DeliverySchema)
    @problems(blp, 401, 403, 404, 409)
    @blp.doc(operationId="resendWebhookDelivery")
    def post(self, endpoint_id, delivery_id):
        """Send a delivery again now (same `webhook-id`), with a fresh retry schedule

        Admin. The same event and `webhook-id`, with a fresh retry schedule.
        """
        with unit_of_work():
            delivery = services.resend_delivery(endpoint_id, delivery_id)
        return json_response(_delivery.dump(delivery), 202)


@blp.route("/webhooks/<int:endpoint_id>/deliveries/resend-failed")
class WebhookResendFailed(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.arguments(ResendFailedSchema)
    @blp.response(202, ResentSchema)
    @problems(blp, 400, 401, 403, 404, 409, 413, 422)
    @blp.doc(operationId="resendFailedWebhookDeliveries")
    def post(self, data, endpoint_id):
        """Resend every failed delivery of this endpoint since a time

        Admin. Requeues this endpoint's failed deliveries of events recorded since `since`.
        """
        with unit_of_work():
            resent = services.resend_failed(endpoint_id, data["since"])
        return json_response({"resent": resent}, 202)


@blp.route("/events/<int:event_id>/deliveries")
class EventDeliveries(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_WEBHOOKS)
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, DeliveryPage)
    @problems(blp, 400, 401, 403, 404, 422)
    @blp.doc(operationId="listEventDeliveries")
    def get(self, args, event_id):
        """List every endpoint's delivery of one event, with attempts

        Admin. Where one event went: a delivery per endpoint that subscribed to it.
        """
        page = services.list_event_deliveries(
            event_id,
            args.get("status"),
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=_codec(f"event-deliveries:{event_id}"),
        )
        return page_body(page, lambda items: _delivery.dump(items, many=True))
