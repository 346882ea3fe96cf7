"""The moderation API's shapes (MODERATION_API.md): private data, for moderators only."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.comments.blocklist import ACTIONS, KINDS
from api.comments.blocks import AUTHOR_FIELDS
from api.comments.status import COMMENT_STATUSES, COMMENT_TYPES, MAX_ID
from api.moderation.queue import MAX_BATCH
from api.web.fields import PageArgsSchema, StrictBoolean, Timestamp, page_schema

STATUS = validate.OneOf(COMMENT_STATUSES)
RULE_NAME = validate.Regexp(r"^[a-z0-9_]{1,64}$", error="A rule name, like too_many_links.")


class QueueArgsSchema(PageArgsSchema):
    status = ma.fields.String(
        load_default="pending", validate=STATUS, metadata={"description": "Default pending"}
    )
    post = ma.fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "A post's slug"}
    )
    type = ma.fields.String(validate=validate.OneOf(COMMENT_TYPES))
    reason = ma.fields.String(
        validate=RULE_NAME,
        metadata={"description": "Only comments one of whose reasons has this rule"},
    )
    before = Timestamp(metadata={"description": "Created before this time"})
    after = Timestamp(metadata={"description": "Created after this time"})
    order = ma.fields.String(
        load_default="oldest",
        validate=validate.OneOf(["oldest", "newest"]),
        metadata={"description": "oldest first (default) or newest first"},
    )


class PostSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    title = ma.fields.String()


class ParentSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    author_name = ma.fields.String()
    excerpt = ma.fields.String(metadata={"description": "The first ~140 characters of its text"})


class IdentitySchema(ma.Schema):
    issuer = ma.fields.String()
    subject = ma.fields.String()


class ReasonSchema(ma.Schema):
    rule = ma.fields.String()
    verdict = ma.fields.String()
    reason = ma.fields.String()


class ClaimSchema(ma.Schema):
    token_name = ma.fields.String()
    expires_at = Timestamp()


class ModerationCommentSchema(ma.Schema):
    """A comment or pingback with everything a moderator needs (private fields too)."""

    id = ma.fields.Integer()
    type = ma.fields.String(validate=validate.OneOf(COMMENT_TYPES))
    mention_type = ma.fields.String(
        allow_none=True, metadata={"description": "Webmentions: reply, like, repost, bookmark…"}
    )
    author_photo = ma.fields.String(allow_none=True, metadata={"description": "Webmentions"})
    status = ma.fields.String(validate=STATUS)
    post = ma.fields.Nested(PostSummarySchema, allow_none=True)
    parent_id = ma.fields.Integer(allow_none=True)
    parent = ma.fields.Nested(ParentSummarySchema, allow_none=True)
    author_name = ma.fields.String()
    author_email = ma.fields.String(allow_none=True)
    author_url = ma.fields.String(allow_none=True)
    identity = ma.fields.Nested(IdentitySchema, allow_none=True)
    ip_address = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    body = ma.fields.String(metadata={"description": "The Markdown source"})
    body_html = ma.fields.String(metadata={"description": "Sanitised HTML, safe to insert"})
    source_url = ma.fields.String(allow_none=True, metadata={"description": "Pingbacks"})
    source_title = ma.fields.String(allow_none=True, metadata={"description": "Pingbacks"})
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    created_at = Timestamp()
    updated_at = Timestamp()
    claim = ma.fields.Nested(
        ClaimSchema,
        allow_none=True,
        metadata={"description": "The live claim on this item, if any"},
    )
    etag = ma.fields.String(
        metadata={"description": "The ETag of GET /v1/moderation/comments/{id}, for If-Match"}
    )


ModerationPage = page_schema(ModerationCommentSchema, "ModerationPage")


class DecisionSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=STATUS)
    reason = ma.fields.String(
        allow_none=True,
        load_default=None,
        validate=[validate.Length(max=500)],
        metadata={"description": "Why, for the moderation log"},
    )
    block_author = StrictBoolean(
        load_default=False,
        metadata={
            "description": "With status spam: add the author's email and IP to the "
            "disallowed keys of the discussion settings"
        },
    )


def _unique(ids: list[int]) -> None:
    if len(set(ids)) != len(ids):
        raise ma.ValidationError("Each id at most once.")


class BatchDecisionSchema(DecisionSchema):
    ids = ma.fields.List(
        ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        required=True,
        validate=[validate.Length(min=1, max=MAX_BATCH), _unique],
    )


class BatchResultSchema(ma.Schema):
    batch_id = ma.fields.String(metadata={"description": "Names the batch in the log"})
    items = ma.fields.List(ma.fields.Nested(ModerationCommentSchema))


class ClaimArgsSchema(ma.Schema):
    limit = ma.fields.Integer(
        strict=True,
        load_default=10,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "How many items to claim (default 10)"},
    )


class ClaimResultSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ModerationCommentSchema))
    expires_at = Timestamp()


class CountsSchema(ma.Schema):
    pending = ma.fields.Integer()
    approved = ma.fields.Integer()
    spam = ma.fields.Integer()
    trash = ma.fields.Integer()


class LogArgsSchema(PageArgsSchema):
    comment_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    batch_id = ma.fields.String(validate=validate.Length(min=1, max=32))
    actor = ma.fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": "A token name"}
    )


class ActorSchema(ma.Schema):
    token_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "null for the system (purge, linkbacks)"}
    )
    name = ma.fields.String()
    role = ma.fields.String(metadata={"description": "A staff role, or system"})


class LogEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    comment_id = ma.fields.Integer()
    actor = ma.fields.Nested(ActorSchema)
    from_status = ma.fields.String()
    to_status = ma.fields.String(metadata={"description": "A status, or purged"})
    reason = ma.fields.String(allow_none=True)
    batch_id = ma.fields.String(allow_none=True)
    created_at = Timestamp()


LogPage = page_schema(LogEntrySchema, "ModerationLogPage")


# --- block rules (api/comments/blocks.py) ----------------------------------------------

BLOCK_KIND = validate.OneOf(KINDS)
BLOCK_ACTION = validate.OneOf(ACTIONS)


class BlockSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=BLOCK_KIND)
    value = ma.fields.String(required=True, metadata={"description": "As normalised"})
    action = ma.fields.String(required=True, validate=BLOCK_ACTION)
    expires_at = Timestamp(allow_none=True, required=True)
    note = ma.fields.String(required=True)
    created_by = ma.fields.String(required=True)
    comment_id = ma.fields.Integer(
        allow_none=True, required=True, metadata={"description": "The comment it was made from"}
    )
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


BlockPage = page_schema(BlockSchema, "BlockPage")


class BlockArgsSchema(PageArgsSchema):
    kind = ma.fields.String(validate=BLOCK_KIND, metadata={"description": "Only this kind"})


class BlockWriteSchema(ma.Schema):
    kind = ma.fields.String(
        required=True,
        validate=BLOCK_KIND,
        metadata={
            "description": "email; email_domain (and its subdomains); ip (an address or "
            "CIDR range, IPv4 or IPv6; one IPv6 address blocks its /64); identity "
            "('<OIDC issuer> <subject>'); word (whole words, Unicode-folded); regex "
            "(time-limited)"
        },
    )
    value = ma.fields.String(required=True, validate=validate.Length(min=1, max=1100))
    action = ma.fields.String(
        load_default="spam",
        validate=BLOCK_ACTION,
        metadata={
            "description": "hold (for a moderator), spam, or shadow (spam, answered to the "
            "sender as if accepted; acts as spam unless the blocklist_shadow setting is on)"
        },
    )
    expires_at = Timestamp(allow_none=True, load_default=None)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class BlockPatchSchema(ma.Schema):
    kind = ma.fields.String(validate=BLOCK_KIND)
    value = ma.fields.String(validate=validate.Length(min=1, max=1100))
    action = ma.fields.String(validate=BLOCK_ACTION)
    expires_at = Timestamp(allow_none=True)
    note = ma.fields.String(validate=validate.Length(max=500))


class BlockAuthorSchema(ma.Schema):
    fields_ = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(AUTHOR_FIELDS)),
        data_key="fields",
        attribute="fields",
        load_default=None,
        validate=validate.Length(min=1, max=4),
        metadata={
            "description": "What of the author to block: email, email_domain, ip, identity "
            "(default: each of email, ip and identity the comment has)"
        },
    )
    action = ma.fields.String(load_default="spam", validate=BLOCK_ACTION)
    expires_at = Timestamp(allow_none=True, load_default=None)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))
    mark_spam = StrictBoolean(
        load_default=False,
        metadata={"description": "Also mark the comment spam (a decision in the log)"},
    )


class BlockAuthorResultSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BlockSchema), required=True)
