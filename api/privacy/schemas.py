"""The privacy API's shapes: a commenter's stored data, and an erasure request."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.web.fields import Timestamp

EMAIL = validate.Email(error="An email address.")


class CommenterArgsSchema(ma.Schema):
    email = ma.fields.String(
        validate=[validate.Length(max=320), EMAIL],
        metadata={"description": "The commenter's email (any case); or give issuer and subject"},
    )
    issuer = ma.fields.String(
        validate=validate.Length(min=1, max=500), metadata={"description": "An OIDC issuer"}
    )
    subject = ma.fields.String(
        validate=validate.Length(min=1, max=255),
        metadata={"description": "The OIDC subject at that issuer"},
    )

    @ma.validates_schema
    def _one_commenter(self, data, **kwargs):
        by_identity = "issuer" in data or "subject" in data
        if ("email" in data) == by_identity:
            raise ma.ValidationError("Give email, or issuer and subject.", "email")
        if by_identity and not ("issuer" in data and "subject" in data):
            raise ma.ValidationError("Give both issuer and subject.", "subject")


class ErasureRequestSchema(CommenterArgsSchema):
    pass


class CommenterIdentitySchema(ma.Schema):
    issuer = ma.fields.String(required=True)
    subject = ma.fields.String(required=True)


class StoredCommentSchema(ma.Schema):
    id = ma.fields.Integer()
    post_id = ma.fields.Integer()
    parent_id = ma.fields.Integer(allow_none=True)
    type = ma.fields.String()
    status = ma.fields.String()
    body = ma.fields.String()
    author_name = ma.fields.String()
    author_email = ma.fields.String(allow_none=True)
    author_url = ma.fields.String(allow_none=True)
    identity = ma.fields.Nested(CommenterIdentitySchema, allow_none=True)
    ip_address = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    reasons = ma.fields.List(ma.fields.Dict())
    created_at = Timestamp()
    updated_at = Timestamp()


class CommenterDecisionSchema(ma.Schema):
    id = ma.fields.Integer()
    comment_id = ma.fields.Integer()
    from_status = ma.fields.String()
    to_status = ma.fields.String()
    actor = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    created_at = Timestamp()


class CommenterSchema(ma.Schema):
    email = ma.fields.String(allow_none=True)
    identity = ma.fields.Nested(CommenterIdentitySchema, allow_none=True)
    comments = ma.fields.List(ma.fields.Nested(StoredCommentSchema))
    names = ma.fields.List(ma.fields.String())
    ip_addresses = ma.fields.List(ma.fields.String())
    user_agents = ma.fields.List(ma.fields.String())
    identities = ma.fields.List(ma.fields.Nested(CommenterIdentitySchema))
    moderation = ma.fields.List(ma.fields.Nested(CommenterDecisionSchema))


class ErasureSchema(ma.Schema):
    mode = ma.fields.String(
        metadata={"description": "anonymise or delete (the `privacy_erasure` setting)"}
    )
    deleted = ma.fields.List(ma.fields.Integer(), metadata={"description": "Comment ids deleted"})
    anonymised = ma.fields.List(
        ma.fields.Integer(),
        metadata={
            "description": "Comment ids anonymised (deleting: kept as [deleted] for replies)"
        },
    )
