"""Staff tokens over HTTP (admin only)."""

from flask.views import MethodView

from api.auth import tokens as services
from api.auth.guard import requires
from api.auth.policy import Permission
from api.auth.schemas import NewTokenSchema, TokenListSchema, TokenWriteSchema
from api.infra.unit_of_work import unit_of_work
from api.web.contract import problems, staff
from api.web.parsing import Blueprint
from api.web.responses import json_response

blp = Blueprint("tokens", __name__, url_prefix="/v1", description="Staff tokens")


@blp.route("/tokens")
class Tokens(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_TOKENS)
    @blp.response(200, TokenListSchema)
    @problems(blp, 401, 403)
    @blp.doc(operationId="listTokens")
    def get(self):
        """List staff tokens (never the tokens themselves)

        Admin. Every token with its role and prefix; the secret itself is never shown again.
        """
        return {"items": services.list_tokens()}

    @staff(blp)
    @requires(Permission.MANAGE_TOKENS)
    @blp.arguments(TokenWriteSchema)
    @blp.response(201, NewTokenSchema)
    @problems(blp, 400, 401, 403, 404, 422)
    @blp.doc(operationId="createToken")
    def post(self, data):
        """Issue a token; its value is in this response only

        Admin. The token is in this answer only (stored hashed); `author` names the author of an
        author token.
        """
        with unit_of_work():
            token, plain = services.create_token(
                data["name"], data["role"], data.get("author"), data.get("email")
            )
        body = NewTokenSchema().dump(token)
        body["token"] = plain
        return json_response(body, 201)


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_TOKENS)
    @blp.response(204)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="revokeToken")
    def delete(self, token_id):
        """Revoke a token; it stops working at once

        Admin. The token stops working on the next request, on every instance.
        """
        with unit_of_work():
            services.revoke_token(token_id)
