"""Comment intake: submitting, editing and withdrawing a comment (in the caller's unit of work).

Submitting: the post must be published; the refusal rules may refuse the comment (403
closed, 429 flood, 409 duplicate); otherwise it is stored with the status and reasons
the status rules give (api/comments/rules.py), `comment.created` is recorded in the same
transaction, and the commenter gets a private edit token (stored hashed) that lets them
edit or withdraw the comment during the edit window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import (
    Boolean,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
)

from api.auth.oidc import Identity
from api.comments import blocks, defences, discussion, notify, rules, status_counts
from api.comments.discussion import DiscussionSettings
from api.comments.models import COMMENT_STATUSES, MAX_ID, Comment
from api.comments.services import comment_data, recount, thread_keys
from api.content.services import PostRef, find_post, find_post_along
from api.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from api.events import catalogue as events
from api.events.outbox import record_event
from api.infra import unit_of_work
from api.infra.database import db, executor
from api.infra.timestamps import utcnow
from api.rendering import render_comment, strip_bidi_controls
from config import Settings

EDIT_TOKEN_PREFIX = "mglc_"  # noqa: S105  (a prefix, not a secret)
ANONYMOUS_NAME = "Anonymous"
_LIVE_STATUSES = tuple(status for status in COMMENT_STATUSES if status != "trash")

Precondition = Callable[[Comment], None] | None


class CommentsClosed(Forbidden):
    slug, title = "comments-closed", "Comments are closed"


class Flooding(TooManyRequests):
    slug, title = "flood", "Commenting too quickly"


class DuplicateComment(Conflict):
    slug, title = "duplicate-comment", "Duplicate comment"


class FormTokenRefused(Forbidden):
    slug, title = "form-token", "Comment-form token refused"


class SpamRefused(Forbidden):
    slug, title = "spam", "Refused as spam"


REFUSALS = {
    "comments_closed": CommentsClosed,
    "flood": Flooding,
    "duplicate": DuplicateComment,
    "form_token": FormTokenRefused,
    "akismet_discard": SpamRefused,
}


@dataclass(frozen=True)
class Submission:
    body: str
    parent_id: int | None = None
    author_name: str | None = None
    author_email: str | None = None
    author_url: str | None = None
    identity: Identity | None = None
    ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    # The spam defences' bot traps (api/comments/defences.py).
    form_token: str | None = None
    honeypot: str | None = None
    # Email me approved replies (double opt-in: api/comments/notify.py).
    notify_replies: bool = False


@dataclass(frozen=True)
class Receipt:
    comment: SimpleNamespace  # the stored row: Comment's attributes
    edit_token: str
    editable_until: datetime
    # What the sender is told the status is (a shadow block's lie; else the status).
    shown_status: str = ""


def hash_edit_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- submitting -------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What `decide_comment` settled from reads alone; `store_comment` writes it."""

    row: dict  # the comment row, but for its edit token
    rules: list[str]
    shown_status: str
    tuning: DiscussionSettings
    settings: Settings
    secret: str
    notify_replies: bool


def decide_comment(
    slug: str, submission: Submission, settings: Settings, secret: str = ""
) -> Decision:
    """Read what the rules need and judge the submission: a refusal raises here, before
    anything is written; a comment to store comes back as a `Decision`."""
    author = _author(submission)
    body = _stripped_body(submission.body)
    ip = _header_text(submission.ip, 64)
    user_agent = _header_text(submission.user_agent, 500)
    # The post, the discussion settings, the commenter's history and the block rules'
    # fingerprint: one statement (`_along`), then the checks in their usual order.
    found = find_post_along(
        slug,
        site_url=settings.site_url,
        along=_along_by_ip if ip else _along,
        params=_history_params(author, body, ip),
    )
    if found is None or found[0].status != "published":
        raise NotFound(f"No post with slug {slug!r}.")
    post, (stored_settings, *history_row) = found
    tuning = discussion.with_stored(settings, stored_settings)
    now = utcnow()
    _refuse_if(rules.comments_closed(_case(post, now), tuning))
    _check_author(submission, author, tuning)
    body = _checked_body(body, tuning)
    parent = _parent(post, submission.parent_id, tuning)
    body_html = render_comment(body)
    history, block_rules = _history(history_row)
    case = _case(
        post,
        now,
        body=body,
        body_html=body_html,
        author=author,
        ip=ip,
        user_agent=user_agent,
        history=history,
        defence=defences.gather(
            settings,
            secret,
            post_id=post.id,
            author=author,
            body=body,
            ip=ip,
            user_agent=user_agent,
            form_token=submission.form_token,
            honeypot=submission.honeypot,
            check_token=bool(secret),
            now=now,
            blocklist=blocks.blocklist_with(block_rules),
        ),
    )
    _refuse_if(rules.refusal(case, tuning))
    decision = rules.judge(case, tuning)
    if decision.status != rules.SPAM and settings.akismet_key:
        # No transaction stays open while the service is asked (up to akismet_timeout).
        unit_of_work.end_reads()
        akismet = defences.with_akismet(
            case.defence,
            settings,
            author=author,
            body=body,
            ip=ip,
            user_agent=user_agent,
            referrer=submission.referrer,
            permalink=post.url,
            comment_type="reply" if submission.parent_id else "comment",
            now=now,
        )
        case = replace(case, defence=akismet)
        _refuse_if(rules.refusal(case, tuning))
        decision = rules.judge(case, tuning)
    row = {
        **_NEW_COMMENT,
        "post_id": post.id,
        "parent_id": submission.parent_id,
        "thread_id": None if parent is None else parent.thread_id or parent.id,
        "depth": 1 if parent is None else parent.depth + 1,
        "status": decision.status,
        "body": body,
        "body_html": body_html,
        "author_name": author.name,
        "author_email": author.email,
        "author_url": author.url,
        "identity_issuer": author.issuer,
        "identity_subject": author.subject,
        "author_key": author.key,
        "ip_address": ip,
        "user_agent": user_agent,
        "reasons": decision.reasons,
        "created_at": now,
        "updated_at": now,
    }
    return Decision(
        row=row,
        rules=decision.rules,
        shown_status=rules.shadowed(decision) or decision.status,
        tuning=tuning,
        settings=settings,
        secret=secret,
        notify_replies=submission.notify_replies,
    )


def store_comments(decided: list[Decision]) -> list[Receipt]:
    """Write decided comments, their events and counts in the caller's unit of work (the
    group commit passes the comments that arrived together: one multi-row insert)."""
    tokens = [EDIT_TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in decided]
    rows = [
        {**decision.row, "edit_token_hash": hash_edit_token(token)}
        for decision, token in zip(decided, tokens, strict=True)
    ]
    # Core, not the ORM (its flush costs twice as much); each row as written, read like
    # the entity (the receipt, the event's data) without building a mapped `Comment`.
    ids = executor().execute(_INSERT_COMMENTS, rows).scalars().all()
    receipts = []
    for decision, token, row, comment_id in zip(decided, tokens, rows, ids, strict=True):
        comment = SimpleNamespace(id=comment_id, **row)
        record_event(
            events.COMMENT_CREATED,
            {"comment": comment_data(comment), "rules": decision.rules},
            thread_keys(comment.post_id, comment.status),
        )
        status_counts.added(comment.status)
        if comment.status == "approved":
            recount(comment.post_id)
        if decision.notify_replies:
            notify.subscribe_replies(
                comment, comment.author_email, decision.settings, decision.secret
            )
        expires = editable_until(comment, decision.tuning)
        receipts.append(Receipt(comment, token, expires, decision.shown_status))
    return receipts


def comment_token(slug: str, user_agent: str | None, settings: Settings, secret: str) -> dict:
    """A signed comment-form token for a published post open for comments."""
    post = find_post(slug=slug, site_url=settings.site_url)
    if post is None or post.status != "published":
        raise NotFound(f"No post with slug {slug!r}.")
    now = utcnow()
    _refuse_if(rules.comments_closed(_case(post, now), discussion.current(settings)))
    return {
        "token": defences.issue_token(secret, post.id, user_agent, now),
        "not_before": now + timedelta(seconds=settings.comment_token_min_seconds),
        "expires_at": now + timedelta(seconds=settings.comment_token_max_age),
    }


_INSERT_COMMENTS = insert(Comment.__table__).returning(
    Comment.__table__.c.id, sort_by_parameter_order=True
)
# Every column the insert does not set from the submission, as the model defaults them.
_NEW_COMMENT = {
    "type": "comment",
    "source_url": None,
    "source_title": None,
    "mention_type": None,
    "author_photo": None,
    "version": 1,
    "claim_token_id": None,
    "claim_token_name": None,
    "claim_expires_at": None,
}


def _refuse_if(verdict: rules.Verdict | None) -> None:
    if verdict is None:
        return
    headers = {"Retry-After": str(verdict.retry_after)} if verdict.retry_after else None
    raise REFUSALS[verdict.rule](verdict.reason, headers=headers)


def _case(
    post: PostRef,
    now: datetime,
    *,
    body: str = "",
    body_html: str = "",
    author: rules.Author | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    history: rules.History | None = None,
    defence: rules.Defence | None = None,
) -> rules.Case:
    return rules.Case(
        body=body,
        body_html=body_html,
        author=author or rules.Author(name=""),
        now=now,
        ip=ip,
        user_agent=user_agent,
        comments_open=post.comments_open,
        published_at=post.published_at,
        history=history or rules.History(),
        defence=defence or rules.Defence(),
    )


def _author(submission: Submission) -> rules.Author:
    """Who the submission says wrote it (`_check_author` judges that against the
    settings): the issuer's claims name an OIDC commenter, author_name filling in."""
    name = _clean(submission.author_name)
    email = _clean(submission.author_email)
    url = _clean(submission.author_url)
    identity = submission.identity
    if identity is not None:
        return rules.Author(
            name=_clean(identity.name) or name or "",
            email=identity.email,
            url=url or identity.url,
            issuer=identity.issuer,
            subject=identity.subject,
        )
    return rules.Author(name=name or ANONYMOUS_NAME, email=email, url=url)


def _check_author(submission: Submission, author: rules.Author, tuning: DiscussionSettings) -> None:
    if submission.identity is not None:
        if not author.name:
            raise InvalidInput(
                errors={"author_name": ["Your token carries no name; give author_name."]}
            )
        return
    if not tuning.allow_anonymous:
        raise Unauthorized(
            "This site takes comments from signed-in readers only: send "
            "Authorization: Bearer <OIDC token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    missing = {}
    if tuning.require_author_name and not _clean(submission.author_name):
        missing["author_name"] = ["Give your name."]
    if tuning.require_author_email and not author.email:
        missing["author_email"] = ["Give your email address (it is never shown)."]
    if missing:
        raise InvalidInput(errors=missing)


def _header_text(value: str | None, limit: int) -> str | None:
    """Request metadata as stored: bounded, and without NUL (PostgreSQL refuses it)."""
    return (value or "").replace("\x00", "")[:limit] or None


def _clean(value: str | None) -> str | None:
    value = " ".join(strip_bidi_controls(value or "").split())
    return value or None


def _stripped_body(body: str | None) -> str:
    return strip_bidi_controls(body or "").strip()


def _checked_body(body: str, tuning: DiscussionSettings) -> str:
    body = _stripped_body(body)
    if not body:
        raise InvalidInput(errors={"body": ["The comment is empty."]})
    if len(body) > tuning.max_comment_length:
        raise InvalidInput(errors={"body": [f"At most {tuning.max_comment_length} characters."]})
    return body


def _parent(post: PostRef, parent_id: int | None, tuning: DiscussionSettings) -> Comment | None:
    """The comment replied to: an approved comment of this post, not too deep."""
    if parent_id is None:
        return None
    if not tuning.thread_comments:
        raise InvalidInput(errors={"parent_id": ["Replies are turned off on this site."]})
    parent = db.session.get(Comment, parent_id) if parent_id <= MAX_ID else None
    if (
        parent is None
        or parent.post_id != post.id
        or parent.type != "comment"
        or parent.status != "approved"
    ):
        raise InvalidInput(errors={"parent_id": ["No approved comment with this id on this post."]})
    if parent.depth >= tuning.thread_comments_depth:
        raise InvalidInput(
            errors={
                "parent_id": [f"Replies nest at most {tuning.thread_comments_depth} levels deep."]
            }
        )
    return parent


def _history_params(author: rules.Author, body: str, ip: str | None) -> dict:
    return {"key": author.key, "ip": ip, "body": body, **_same_name_params(author)}


def _history(row: list) -> tuple[rules.History, tuple]:
    """What the refusal and status rules need to know of the commenter's past, and the
    block rules' fingerprint (api/comments/blocks.py), as read with the post: four
    index probes (author key, address) and three of the small rules table."""
    latest_by_author, latest_by_ip, duplicate, approved, *block_rules = row
    latest = max((t for t in (latest_by_author, latest_by_ip) if t is not None), default=None)
    history = rules.History(
        last_comment_at=latest, duplicate=bool(duplicate), author_has_approved=bool(approved)
    )
    return history, tuple(block_rules)


def _history_columns(post_id, *, by_ip: bool) -> tuple:
    """The discussion settings and the history, read with the post (`find_post_along`
    builds the statement once: building it costs as much as running it)."""
    mine = Comment.author_key == bindparam("key")
    latest_by_ip = (
        select(func.max(Comment.created_at))
        .where(Comment.ip_address == bindparam("ip"), Comment.type == "comment")
        .scalar_subquery()
        if by_ip
        else null()
    )
    return (
        discussion.STORED_VALUES,
        select(func.max(Comment.created_at)).where(mine).scalar_subquery(),
        latest_by_ip,
        exists().where(
            mine,
            # IN rather than != so that SQLite, which keeps no statistics, probes
            # (author_key, status, post_id) instead of scanning the post's comments. The
            # statuses are written into the statement: as an expanding parameter its
            # SQL was rebuilt on every execution (~1.7% of a comment's samples).
            Comment.status.in_([literal_column(f"'{status}'") for status in _LIVE_STATUSES]),
            Comment.post_id == post_id,
            Comment.body == bindparam("body"),
        ),
        exists().where(mine, Comment.status == "approved", _SAME_NAME),
        *blocks.FINGERPRINT,
    )


# An email vouches for its author only together with the name (WordPress: "comment author
# must have a previously approved comment" matches name and email): whoever merely knows
# an approved commenter's email is not published at once under another name. An OIDC
# identity vouches by itself.
_SAME_NAME = or_(
    bindparam("identity", type_=Boolean), Comment.author_name == bindparam("author_name")
)


def _same_name_params(author: rules.Author) -> dict:
    return {"identity": author.kind == "identity", "author_name": author.name}


def _along(post_id) -> tuple:
    return _history_columns(post_id, by_ip=False)


def _along_by_ip(post_id) -> tuple:
    return _history_columns(post_id, by_ip=True)


def editable_until(comment: Comment | SimpleNamespace, tuning: DiscussionSettings) -> datetime:
    return comment.created_at + timedelta(seconds=tuning.edit_window)


# --- the commenter's own comment --------------------------------------------------------


def own_comment(comment_id: int, token: str | None, *, lock: bool = False) -> Comment:
    """The comment the edit token belongs to: 401 without the right token, whether or
    not the comment exists (a wrong token must not tell which ids are taken); 404 when
    its own token names a comment that went to the trash."""
    if token is None:
        raise Unauthorized(
            "Send the comment's edit token: Authorization: Bearer <edit token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    query = select(Comment).where(Comment.id == comment_id, Comment.type == "comment")
    if lock:
        query = query.with_for_update()
    comment = db.session.scalar(query) if comment_id <= MAX_ID else None
    given = hash_edit_token(token)  # hashed whether or not there is a comment: same time
    if (
        comment is None
        or not comment.edit_token_hash
        or not hmac.compare_digest(given, comment.edit_token_hash)
    ):
        raise Unauthorized(
            "This is not the comment's edit token.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if comment.status == "trash":
        raise NotFound("No such comment.")
    return comment


def _ensure_editable(comment: Comment, tuning: DiscussionSettings) -> None:
    if utcnow() > editable_until(comment, tuning):
        minutes = tuning.edit_window // 60
        raise Forbidden(
            f"The edit window ({minutes} minutes after posting) has closed."
            if tuning.edit_window
            else "Comments cannot be edited on this site."
        )


def edit_comment(
    comment_id: int, token: str | None, body: str, settings: Settings, precondition: Precondition
) -> Comment:
    """The commenter changes the text; the rules judge it again, and an edit can only
    make the status stricter (an approved comment edited into spam is not approved)."""
    comment = own_comment(comment_id, token, lock=True)
    tuning = discussion.current(settings)
    _ensure_editable(comment, tuning)
    if precondition:
        precondition(comment)
    post = find_post(post_id=comment.post_id, site_url=settings.site_url)
    if post is None or post.status != "published":
        raise NotFound("No such comment.")
    body = _checked_body(body, tuning)
    body_html = render_comment(body)
    author = rules.Author(
        name=comment.author_name,
        email=comment.author_email,
        url=comment.author_url,
        issuer=comment.identity_issuer,
        subject=comment.identity_subject,
    )
    approved_before = db.session.scalar(
        select(
            exists().where(
                Comment.author_key == comment.author_key,
                Comment.status == "approved",
                Comment.id != comment.id,
                _SAME_NAME,
            )
        ),
        _same_name_params(author),
    )
    case = _case(
        post,
        utcnow(),
        body=body,
        body_html=body_html,
        author=author,
        ip=comment.ip_address,
        user_agent=comment.user_agent,
        history=rules.History(author_has_approved=bool(approved_before)),
        # The block rules see the new text too (no form token on an edit).
        defence=defences.gather(
            settings,
            "",
            post_id=post.id,
            author=author,
            body=body,
            ip=comment.ip_address,
            user_agent=comment.user_agent,
            form_token=None,
            honeypot=None,
            check_token=False,
            now=utcnow(),
        ),
    )
    decision = rules.judge(case, tuning)
    was_approved, before = comment.status == "approved", comment.status
    status = rules.stricter(comment.status, decision.status)
    comment.body, comment.body_html, comment.status = body, body_html, status
    comment.reasons = [
        *decision.reasons,
        {"rule": "edited", "verdict": status, "reason": "Edited by its author."},
    ]
    comment.updated_at = utcnow()
    _flush(comment)
    record_event(
        events.COMMENT_UPDATED,
        {"comment": comment_data(comment), "rules": decision.rules},
        thread_keys(comment.post_id, before, status),
    )
    status_counts.moved(before, status)
    if was_approved != (status == "approved"):
        recount(comment.post_id)
    return comment


def withdraw_comment(
    comment_id: int, token: str | None, settings: Settings, precondition: Precondition
) -> None:
    """The commenter deletes their comment: it goes to the trash, like a moderator's."""
    comment = own_comment(comment_id, token, lock=True)
    tuning = discussion.current(settings)
    _ensure_editable(comment, tuning)
    if precondition:
        precondition(comment)
    was_approved, before = comment.status == "approved", comment.status
    comment.status, comment.updated_at = "trash", utcnow()
    comment.reasons = [
        *comment.reasons,
        {"rule": "withdrawn", "verdict": "trash", "reason": "Deleted by its author."},
    ]
    _flush(comment)
    record_event(
        events.COMMENT_TRASHED,
        {"comment": comment_data(comment), "reason": "deleted by its author"},
        thread_keys(comment.post_id, before),
    )
    status_counts.moved(before, "trash")
    if was_approved:
        recount(comment.post_id)


def _flush(comment: Comment) -> None:
    unit_of_work.flush(stale="The comment changed meanwhile; fetch it again.")
