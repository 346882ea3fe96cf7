import marshmallow as ma
from marshmallow import validate

from api.auth.policy import Role
from api.web.fields import Timestamp

ROLES = validate.OneOf([r.value for r in Role])


class TokenWriteSchema(ma.Schema):
    """A token to issue."""

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = ma.fields.String(required=True, validate=ROLES)
    author = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Author slug, for author tokens"},
    )
    email = ma.fields.Email(
        validate=validate.Length(max=320),
        metadata={
            "description": "Moderators and admins: where the digest of pending comments goes "
            "(when the moderator_digest setting is on)"
        },
    )


class TokenSchema(ma.Schema):
    """A staff token as listed (never the token itself)."""

    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    role = ma.fields.String(validate=ROLES)
    author_id = ma.fields.Integer(dump_only=True, allow_none=True)
    prefix = ma.fields.String(dump_only=True, metadata={"description": "First characters"})
    email = ma.fields.String(dump_only=True, allow_none=True)
    created_at = Timestamp(dump_only=True)
    revoked_at = Timestamp(dump_only=True, allow_none=True)


class NewTokenSchema(TokenSchema):
    token = ma.fields.String(
        dump_only=True, metadata={"description": "The token itself, shown only now"}
    )


class TokenListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TokenSchema))
