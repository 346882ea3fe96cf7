"""Pingbacks and Webmentions over HTTP: received from other sites, and (for staff) what
became of the ones our posts sent.

The receiving endpoints are public and each makes the worker or the request fetch a
URL a stranger chose, so they are rate-limited per client address.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.errors import BadRequest
from api.infra.pagination import CursorCodec
from api.infra.unit_of_work import unit_of_work
from api.linkbacks import incoming, services
from api.linkbacks.schemas import (
    OutgoingLinkbackPage,
    OutgoingLinkbackSchema,
    WebmentionAcceptedSchema,
    WebmentionForm,
)
from api.web.clients import client_ip
from api.web.contract import problems, staff
from api.web.fields import PageArgsSchema
from api.web.parsing import Blueprint
from api.web.problems import PROBLEM_MIMETYPE, ProblemSchema
from api.web.ratelimits import limiter
from api.web.responses import json_response, page_body

blp = Blueprint("linkbacks", __name__, description="Pingbacks and Webmentions")


def _rate_limit() -> str:
    return current_app.config["MARGINALIA"].linkback_rate_limit


_XML = {"text/xml": {"schema": {"type": "string"}}}
RETRY_AFTER = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
UNAVAILABLE = "The rate limiter's store (Redis) is unreachable: send it again later"


@blp.route("/xmlrpc")
class XmlRpc(MethodView):
    decorators = [limiter.limit(_rate_limit)]

    @blp.doc(
        requestBody={
            "required": True,
            "description": "An XML-RPC `pingback.ping(source, target)` call",
            "content": _XML,
        },
        responses={
            "200": {
                "description": "An XML-RPC response: a success string, or a fault with the "
                "Pingback spec's code (16 source missing, 17 no link, 32 target missing, "
                "33 target not pingable, 48 already registered, 0 generic; 0 with `Retry-After` "
                "when too many pingbacks are being checked: send it again later)",
                "content": _XML,
            }
        },
    )
    @problems(blp, 413, 429, 503, descriptions={503: UNAVAILABLE}, headers={503: RETRY_AFTER})
    @blp.doc(operationId="receivePingback")
    def post(self):
        """Receive a pingback (XML-RPC pingback.ping)

        Public, for other sites (the Pingback 1.0 specification): rate limited per client address.
        Answers are XML-RPC, faults included. The source is fetched while the caller waits, within
        a few seconds; only a few pingbacks are checked at once (per server process and per client
        address), and one over those caps gets fault 0 with `Retry-After` at once.
        """
        body = request.get_data(cache=False)
        if not body.strip() or request.mimetype not in ("", "text/xml", "application/xml"):
            # Not an XML-RPC call at all: an HTTP error, not an XML-RPC fault.
            raise BadRequest("An XML-RPC call is an XML body sent as text/xml.")
        answer, headers = incoming.answer_pingback_call(body, client_ip())
        return Response(answer, mimetype="text/xml", headers=headers)


@blp.route("/v1/webmention")
class Webmention(MethodView):
    decorators = [limiter.limit(_rate_limit)]

    @blp.arguments(WebmentionForm, location="form", error_status_code=400)
    @blp.response(202, WebmentionAcceptedSchema)
    @blp.alt_response(
        400,
        schema=ProblemSchema,
        content_type=PROBLEM_MIMETYPE,
        description="Not a Webmention we accept: a missing or malformed source or target, "
        "a target that is not a published post of this site open to pingbacks, or a "
        "source equal to the target",
    )
    @problems(blp, 413, 429, 503, descriptions={503: UNAVAILABLE}, headers={503: RETRY_AFTER})
    @blp.doc(operationId="receiveWebmention")
    def post(self, form):
        """Receive a Webmention; the source is verified asynchronously

        Public, for other sites (W3C Webmention): form-encoded `source` and `target`; the worker
        fetches the source and checks it links the target before an entry is added. Rate limited per
        client address.
        """
        with unit_of_work():
            incoming.receive_webmention(form["source"].strip(), form["target"].strip(), client_ip())
        body = {"status": "queued", "detail": "The source will be checked for a link shortly."}
        return json_response(body, 202)


_outgoing = OutgoingLinkbackSchema(many=True)


@blp.route("/v1/posts/<string:slug>/linkbacks")
class PostLinkbacks(MethodView):
    @staff(blp)
    @requires(Permission.READ_DRAFTS)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, OutgoingLinkbackPage)
    @problems(blp, 400, 401, 403, 404, 422)
    @blp.doc(operationId="listLinkbacks")
    def get(self, args, slug):
        """List the other sites a post links and what pinging each of them gave

        Staff who may read the post. What sending Webmentions and pingbacks for each link gave,
        retries included.
        """
        codec = CursorCodec(current_app.config["SECRET_KEY"], "outgoing-linkbacks")
        page = services.list_outgoing(
            current_actor(),
            slug,
            limit=args["limit"],
            cursor=args["cursor"],
            count=args["count"],
            codec=codec,
        )
        return page_body(page, _outgoing.dump)
