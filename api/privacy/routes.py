"""A commenter's data over HTTP (admins): what is stored, and its erasure."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from api.auth.guard import requires
from api.auth.policy import Permission
from api.infra.unit_of_work import unit_of_work
from api.privacy import services as privacy
from api.privacy.schemas import (
    CommenterArgsSchema,
    CommenterSchema,
    ErasureRequestSchema,
    ErasureSchema,
)
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import json_response

blp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/v1/privacy",
    description=(
        "Commenters' data (GDPR articles 15 and 17): everything stored about one "
        "commenter, and its erasure. Admins only."
    ),
)


@blp.route("/commenters")
class Commenters(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_PRIVACY)
    @blp.arguments(CommenterArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, CommenterSchema)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="getCommenterData")
    def get(self, args):
        """Everything stored about a commenter, by email or OIDC identity

        Admin. Their comments and pingbacks with names, emails, URLs, IPs, user agents and
        identities, and the moderation decisions on them (an empty list when none).
        """
        with unit_of_work():
            found = privacy.commenter(**args)
        return json_response(CommenterSchema().dump(found))


@blp.route("/erasures")
class Erasures(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_PRIVACY)
    @blp.arguments(ErasureRequestSchema)
    @blp.response(200, ErasureSchema)
    @problems(blp, 400, 401, 403, 404, 413, 422)
    @blp.doc(operationId="eraseCommenter")
    def post(self, data):
        """Erase a commenter: anonymise or delete their comments

        Admin. By the `privacy_erasure` setting their comments are anonymised (name
        "Anonymous"; no email, URL, identity, IP or user agent) or deleted (one with replies
        stays as "[deleted]" so the replies keep their place). Past events lose the name and
        URL, and the moderation and disallowed keys naming the commenter go; the erasure is
        recorded as `privacy.erased` with the comment ids only. 404 when nothing is stored
        for the commenter.
        """
        settings = current_app.config["MARGINALIA"]
        with unit_of_work():
            erased = privacy.erase(settings, mode=settings.privacy_erasure, **data)
        return json_response(ErasureSchema().dump(erased))
