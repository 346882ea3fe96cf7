from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.comments.discussion import MAX_KEY_LENGTH, MAX_KEYS, RANGES
from api.comments.models import MAX_ID
from api.web.fields import PageArgsSchema, StrictBoolean, Timestamp, page_schema

HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)
BODY_LIMIT = 65525  # the discussion setting max_comment_length may lower it


class PublicStatus(ma.fields.String):
    """A comment's status as readers see it: whatever is not approved is shown as
    pending. Telling a spammer their comment was caught only teaches them to adapt."""

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return "approved" if value == "approved" else "pending"


class CommentSchema(ma.Schema):
    """A comment or pingback as readers see it (approved items only)."""

    id = ma.fields.Integer()
    type = ma.fields.String(validate=validate.OneOf(["comment", "pingback", "webmention"]))
    status = PublicStatus(
        validate=validate.OneOf(["approved", "pending"]),
        metadata={
            "description": "approved; a commenter reading their own comment may see pending "
            "(a comment judged spam is shown to its author as pending)"
        },
    )
    body_html = ma.fields.String(
        metadata={"description": "Rendered from Markdown and sanitised; links are nofollow ugc"}
    )
    author_name = ma.fields.String()
    author_url = ma.fields.String(allow_none=True)
    author_photo = ma.fields.String(
        allow_none=True,
        metadata={"description": "Webmentions: the author's photo from the source's h-card"},
    )
    mention_type = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(["reply", "like", "repost", "bookmark", "mention"]),
        metadata={
            "description": "Webmentions: what the source's h-entry is (u-in-reply-to: reply, "
            "u-like-of: like, u-repost-of: repost, u-bookmark-of: bookmark, else mention)"
        },
    )
    parent_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The comment replied to"}
    )
    created_at = Timestamp()


class OwnCommentSchema(CommentSchema):
    """A comment as its author sees it, with its edit token."""

    body = ma.fields.String(metadata={"description": "The Markdown as submitted"})
    updated_at = Timestamp()


class SubmittedCommentSchema(OwnCommentSchema):
    edit_token = ma.fields.String(
        metadata={
            "description": "Private: send it as `Authorization: Bearer <edit_token>` to edit or "
            "delete this comment until `editable_until`. Shown once, stored hashed."
        }
    )
    editable_until = Timestamp()


class CommentSubmitSchema(ma.Schema):
    """A new comment. Anonymous commenters identify themselves with the author fields
    (which are required is a discussion setting: by default name and email); OIDC
    commenters send their token instead, and their name comes from its claims."""

    body = ma.fields.String(
        required=True,
        validate=[validate.Length(min=1, max=BODY_LIMIT)],
        metadata={"description": "Markdown (no raw HTML; links get rel=nofollow ugc)"},
    )
    parent_id = ma.fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "An approved comment on the same post to reply to"},
    )
    author_name = ma.fields.String(allow_none=True, validate=[validate.Length(max=200)])
    author_email = ma.fields.Email(
        allow_none=True,
        validate=[validate.Length(max=320)],
        metadata={"description": "Never shown publicly"},
    )
    author_url = ma.fields.String(allow_none=True, validate=[HTTP_URL, validate.Length(max=2000)])
    form_token = ma.fields.String(
        allow_none=True,
        validate=[validate.Length(max=200)],
        metadata={
            "description": "The token from GET /v1/posts/{slug}/comment-token, fetched when "
            "the form was shown (a bot trap: missing, forged, too fast or too old holds or "
            "refuses the comment, a setting)"
        },
    )
    notify_replies = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Email me approved replies to this comment (needs author_email or "
            "an OIDC email; a confirmation mail with a signed link comes first, and every "
            "mail has a one-click unsubscribe)"
        },
    )
    honeypot = ma.fields.String(
        allow_none=True,
        validate=[validate.Length(max=2000)],
        metadata={
            "description": "A form field hidden from people: send it empty. Filled in, the "
            "comment is spam"
        },
    )


class CommentEditSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=[validate.Length(min=1, max=BODY_LIMIT)])


def _int_setting(name: str, description: str) -> ma.fields.Integer:
    low, high = RANGES[name]
    return ma.fields.Integer(
        strict=True,  # 2.5 is not a number of seconds or links, whatever int() makes of it
        validate=validate.Range(min=low, max=high),
        metadata={"description": description},
    )


def _keys(description: str) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=[validate.Length(max=MAX_KEY_LENGTH)]),
        validate=validate.Length(max=MAX_KEYS),
        metadata={"description": description},
    )


class DiscussionSettingsSchema(ma.Schema):
    """How comments are taken in. Defaults come from the configuration ([discussion],
    WordPress's defaults where WordPress has the setting)."""

    allow_anonymous = StrictBoolean(
        metadata={"description": "Anonymous comments are taken (false: OIDC commenters only)"}
    )
    require_author_name = StrictBoolean(
        metadata={"description": "Anonymous commenters must give author_name"}
    )
    require_author_email = StrictBoolean(
        metadata={"description": "Anonymous commenters must give author_email"}
    )
    close_comments_for_old_posts = StrictBoolean(
        metadata={"description": "Close comments close_comments_days_old days after publication"}
    )
    close_comments_days_old = _int_setting("close_comments_days_old", "Days (default 14)")
    thread_comments = StrictBoolean(metadata={"description": "Replies (parent_id) allowed"})
    thread_comments_depth = _int_setting(
        "thread_comments_depth", "Deepest reply level; a top-level comment is level 1"
    )
    hold_all = StrictBoolean(metadata={"description": "Every comment waits for a moderator"})
    previously_approved = StrictBoolean(
        metadata={
            "description": "Approve at once when the author (email, or OIDC identity) has an "
            "approved comment; a first comment waits. Off: approve unless a rule holds it"
        }
    )
    max_links = _int_setting("max_links", "A comment with more links waits for a moderator")
    moderation_keys = _keys(
        "Words, IPs or CIDR ranges, emails or URLs that send a comment to the queue "
        "(matched in text, name, email, URL, IP and user agent; case-insensitive)"
    )
    disallowed_keys = _keys("As moderation_keys, but the comment is marked spam")
    flood_interval = _int_setting(
        "flood_interval", "Seconds between two comments from one IP or author (0: off)"
    )
    edit_window = _int_setting(
        "edit_window", "Seconds during which a commenter may edit or delete their comment"
    )
    max_comment_length = _int_setting("max_comment_length", "Longest comment, in characters")
    purge_spam_days = _int_setting(
        "purge_spam_days", "Spam is deleted this many days after it was marked (default 15)"
    )
    purge_trash_days = _int_setting(
        "purge_trash_days", "Trash is deleted this many days after it was trashed (default 30)"
    )
    claim_lease_seconds = _int_setting(
        "claim_lease_seconds",
        "How long a moderator's claim on queue items lasts, in seconds (default 300)",
    )


class DiscussionSettingsPatchSchema(DiscussionSettingsSchema):
    class Meta:
        partial = True


CommentPage = page_schema(CommentSchema, "CommentPage")


class CommentTokenSchema(ma.Schema):
    token = ma.fields.String(
        required=True, metadata={"description": "Send it back as `form_token` with the comment"}
    )
    not_before = Timestamp(
        required=True,
        metadata={"description": "A comment sent earlier counts as a bot's (minimum fill time)"},
    )
    expires_at = Timestamp(required=True, metadata={"description": "Fetch a new one after this"})


class ThreadArgsSchema(PageArgsSchema):
    sort = ma.fields.String(
        load_default="oldest",
        validate=validate.OneOf(["oldest", "newest"]),
        metadata={"description": "oldest first (default) or newest first"},
    )


class MailDeliverySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    to_address = ma.fields.String(required=True)
    kind = ma.fields.String(
        required=True, validate=validate.OneOf(["confirmation", "digest", "moderation"])
    )
    subject = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(["pending", "sent", "failed"]))
    attempts = ma.fields.Integer(required=True)
    last_error = ma.fields.String(allow_none=True, required=True)
    next_attempt_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)
    sent_at = Timestamp(allow_none=True, required=True)


MailDeliveryPage = page_schema(MailDeliverySchema, "MailDeliveryPage")


class NotificationTokenArgs(ma.Schema):
    token = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "The signed token of the link in the mail"},
    )


class ThreadSubscriptionSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=320))


class ThreadSubscribedSchema(ma.Schema):
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(["unconfirmed", "confirmed"]),
        metadata={
            "description": "unconfirmed: a confirmation mail was sent (or one sent today "
            "stands); confirmed: the address had confirmed before"
        },
    )


class SubscriptionStateSchema(ma.Schema):
    email = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, validate=validate.OneOf(["confirmed", "subscribed", "unsubscribed"])
    )
    subscriptions = ma.fields.Integer(
        metadata={"description": "Confirmation: how many subscriptions started"}
    )
