"""Content API keys over HTTP (admin only): what Ghost frontends send as `?key=`."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from api.auth.guard import current_actor, requires
from api.auth.policy import Permission
from api.compat import content_keys
from api.infra.unit_of_work import unit_of_work
from api.web.contract import problems, staff
from api.web.fields import Timestamp
from api.web.parsing import Blueprint
from api.web.responses import json_response

blp = Blueprint(
    "content_keys",
    __name__,
    url_prefix="/v1",
    description="Content API keys for the Ghost Content API (`/ghost/api/content/`)",
)


class ContentKeyWriteSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))


class ContentKeySchema(ma.Schema):
    """A Content API key as listed (never the key itself)."""

    id = ma.fields.Integer(dump_only=True, required=True)
    name = ma.fields.String(required=True)
    hint = ma.fields.String(
        dump_only=True, required=True, metadata={"description": "The key's last characters"}
    )
    created_at = Timestamp(dump_only=True, required=True)
    revoked_at = Timestamp(dump_only=True, allow_none=True, required=True)


class NewContentKeySchema(ContentKeySchema):
    key = ma.fields.String(
        dump_only=True,
        required=True,
        metadata={"description": "The key (26 hex characters), shown only now"},
    )


class ContentKeyListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ContentKeySchema), required=True)


@blp.route("/content-keys")
class ContentKeys(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_TOKENS)
    @blp.response(200, ContentKeyListSchema)
    @problems(blp, 401, 403)
    @blp.doc(operationId="listContentKeys")
    def get(self):
        """List Content API keys (never the keys themselves)

        Admin. Every key with its name, last characters and whether it was revoked.
        """
        return {"items": content_keys.list_keys(current_actor())}

    @staff(blp)
    @requires(Permission.MANAGE_TOKENS)
    @blp.arguments(ContentKeyWriteSchema)
    @blp.response(201, NewContentKeySchema)
    @problems(blp, 400, 401, 403, 422)
    @blp.doc(operationId="createContentKey")
    def post(self, data):
        """Create a Content API key; its value is in this response only

        Admin. A Ghost-style key (26 hex characters) for `?key=` on `/ghost/api/content/`;
        stored hashed, shown only in this answer.
        """
        with unit_of_work():
            key, plain = content_keys.create_key(current_actor(), data["name"])
        body = NewContentKeySchema().dump(key)
        body["key"] = plain
        return json_response(body, 201)


@blp.route("/content-keys/<int:key_id>")
class ContentKey(MethodView):
    @staff(blp)
    @requires(Permission.MANAGE_TOKENS)
    @blp.response(204)
    @problems(blp, 401, 403, 404)
    @blp.doc(operationId="revokeContentKey")
    def delete(self, key_id):
        """Revoke a Content API key; reads with it stop at once

        Admin. Ghost reads with the key answer 401 from the next request on, cached ones too.
        """
        with unit_of_work():
            content_keys.revoke_key(current_actor(), key_id)
