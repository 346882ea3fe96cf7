from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.infra.database import db
from api.infra.timestamps import UTCDateTime, utcnow

COMMENT_TYPES = ("comment", "pingback", "webmention")
COMMENT_STATUSES = ("pending", "approved", "spam", "trash")
MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist; PostgreSQL would refuse them


class Comment(db.Model):
    """A comment or a pingback on a post; only `approved` ones are ever public."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[str] = mapped_column(String(20), default="comment")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    body: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised when saved; for pingbacks, the excerpt around the link.
    body_html: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_email: Mapped[str | None] = mapped_column(String(320))
    author_url: Mapped[str | None] = mapped_column(String(2000))
    # OIDC commenters are (issuer, subject); anonymous ones have neither.
    identity_issuer: Mapped[str | None] = mapped_column(String(500))
    identity_subject: Mapped[str | None] = mapped_column(String(255))
    # Who wrote it, as the intake rules compare authors: a hash of the OIDC identity, or
    # of the anonymous email (or name); never shown. Pingbacks have none.
    author_key: Mapped[str | None] = mapped_column(String(64))
    # The top comment of a reply's thread (None for a top comment): threads stay together
    # when the public thread is read newest first.
    thread_id: Mapped[int | None] = mapped_column(Integer)
    # 1 for a comment on the post, parent's depth + 1 for a reply.
    depth: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # Pingbacks: where the link came from.
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_title: Mapped[str | None] = mapped_column(String(500))
    # Webmentions: what the source's microformats2 h-entry says (api/linkbacks/microformats.py):
    # reply | like | repost | bookmark | mention, and the author's photo.
    mention_type: Mapped[str | None] = mapped_column(String(20))
    author_photo: Mapped[str | None] = mapped_column(String(2048))
    # The verdicts of the intake rules: [{"rule", "verdict", "reason"}].
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    edit_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The moderator whose lease this pending item is under (POST /v1/moderation/claims).
    # Claims are set and cleared with conditional UPDATEs outside the ORM, so they do not
    # bump `version`: a claim is not a change of the comment (its ETag stays).
    claim_token_id: Mapped[int | None] = mapped_column(Integer, index=True)
    claim_token_name: Mapped[str | None] = mapped_column(String(100))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One pingback per (target post, source URL); comments have no source, and
        # NULLs never collide.
        UniqueConstraint("post_id", "source_url", name="uq_comments_post_id_source_url"),
        Index("ix_comments_post_id_status_created_at_id", "post_id", "status", "created_at", "id"),
        Index("ix_comments_status_created_at_id", "status", "created_at", "id"),
        # Purge: spam and trash whose status is older than the settings' days.
        Index("ix_comments_status_updated_at", "status", "updated_at"),
        # The intake rules: flood (latest by IP or author), duplicates, previously approved.
        Index("ix_comments_author_key_created_at", "author_key", "created_at"),
        Index("ix_comments_author_key_status_post_id", "author_key", "status", "post_id"),
        Index("ix_comments_ip_address_created_at", "ip_address", "created_at"),
    )


class DiscussionSettingsRow(db.Model):
    """The discussion settings an admin changed; one row, the rest come from the config."""

    __tablename__ = "discussion_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only the keys an admin set; missing keys fall back to the configured defaults.
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CommentStatusCount(db.Model):
    """How many comments have each status, kept in the transaction of every change
    (api/comments/status_counts.py), so the queue's counts never scan the comments."""

    __tablename__ = "comment_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class BlockRuleRow(db.Model):
    """A block rule set by an admin or moderator (api/comments/blocks.py): what it
    matches (kind, normalised value), what it does (hold, spam, shadow), until when."""

    __tablename__ = "block_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(1100))
    action: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    # The comment the rule was made from ("block this author"), when it was.
    comment_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_block_rules_kind_value"),)


class AkismetReport(db.Model):
    """A moderator's correction to send to the Akismet-protocol service (submit-spam or
    submit-ham), recorded with the decision and sent by the worker with retries."""

    __tablename__ = "akismet_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # spam | ham
    # The comment as the service saw it (the comment may be purged before it is sent).
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_akismet_reports_status_next_attempt_at", "status", "next_attempt_at"),
    )


class ReplySubscription(db.Model):
    """A commenter's wish to hear of approved replies to their comment (double opt-in:
    nothing is sent to an address before it confirms)."""

    __tablename__ = "reply_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    post_id: Mapped[int] = mapped_column(Integer)
    # Replies to this comment; None: every approved comment on the post (the thread).
    comment_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="unconfirmed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_reply_subscriptions_comment_id_status", "comment_id", "status"),
        Index("ix_reply_subscriptions_post_id_status", "post_id", "status"),
        Index("ix_reply_subscriptions_email", "email"),
    )


class ReplyNotice(db.Model):
    """An approved reply a subscriber is to hear of, until a digest takes it."""

    __tablename__ = "reply_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(320))
    comment_id: Mapped[int] = mapped_column(Integer)  # the reply
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("subscription_id", "comment_id", name="uq_reply_notices_sub_comment"),
        Index("ix_reply_notices_delivery_id_email", "delivery_id", "email"),
    )


class MailDelivery(db.Model):
    """One mail to send (a confirmation, a digest), its attempts and its outcome."""

    __tablename__ = "mail_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # confirmation | digest
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    unsubscribe_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_mail_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_mail_deliveries_to_address_kind_created_at", "to_address", "kind", "created_at"),
    )
