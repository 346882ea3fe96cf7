"""Reply notifications by email: subscriptions with double opt-in, digests of approved
replies, and the mail deliveries the worker sends with retries.

1. A commenter sends `notify_replies: true` with an email: a subscription to replies to
   that comment, `unconfirmed` until the address follows the signed link of a
   confirmation mail (one per address per day at most, so the form cannot be used to
   bomb a stranger's inbox); an address that confirmed before is confirmed at once.
2. When a reply is approved (`comment.created` approved, or `comment.approved`), the
   `notifications` consumer (api/wiring.py) records a notice per confirmed subscriber
   of its parent (not its own author).
3. The worker gathers each address's notices into one digest at most every
   `notify_digest_minutes`, dropping replies no longer approved and subscriptions
   unsubscribed meanwhile, and sends the due mails through SMTP; a temporary failure
   is retried on `mail_retry_schedule`, then the mail is `failed`. Admins read the
   log at GET /v1/notifications/deliveries.

Every mail carries `List-Unsubscribe` with the RFC 8058 one-click POST: the link is a
signed token of the address, and a POST to it ends every subscription of the address,
no login needed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from api.auth.tokens import moderator_emails
from api.comments import defences
from api.comments.models import MAX_ID, Comment, MailDelivery, ReplyNotice, ReplySubscription
from api.content.services import find_post, find_posts
from api.errors import Conflict, InvalidInput, NotFound
from api.events import catalogue as events
from api.infra import mail
from api.infra.database import db
from api.infra.pagination import CursorCodec, Page, SortKey, paginate
from api.infra.queue import enqueue_after_commit
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import end_reads, unit_of_work
from api.rendering import plain_text
from config import Settings

log = logging.getLogger(__name__)

EVENTS = (events.COMMENT_CREATED, events.COMMENT_APPROVED)
CONFIRM_MAX_AGE = 7 * 86400
CONFIRMATIONS_PER_DAY = 1
BATCH = 100
TASK = "send_notification_mail"


class MailOff(Conflict):
    slug, title = "mail-off", "Mail is off"


# --- signed links -----------------------------------------------------------------------


def _signer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"marginalia-notify-{purpose}")


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.api_url.rstrip('/')}/v1/notifications/{path}?token={token}"


def _address_of(secret: str, purpose: str, token: str, max_age: int | None) -> str:
    try:
        return _signer(secret, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidInput(errors={"token": ["The link has expired."]}) from None
    except BadSignature:
        raise InvalidInput(errors={"token": ["Not a link we sent."]}) from None


# --- subscribing ------------------------------------------------------------------------


def subscribe_replies(comment: Comment, email: str | None, settings: Settings, secret: str):
    """The commenter asked to hear of replies (in the intake's unit of work)."""
    if email:
        _subscribe(email, comment.post_id, comment.id, settings, secret)


def subscribe_thread(slug: str, email: str, settings: Settings, secret: str) -> str:
    """A reader asked to hear of every approved comment on a post; returns the
    subscription's status (`unconfirmed` until the address confirms)."""
    post = find_post(slug=slug, site_url=settings.site_url)
    if post is None or post.status != "published":
        raise NotFound(f"No post with slug {slug!r}.")
    if not settings.smtp_host:
        raise MailOff("This site sends no mail (no SMTP server is configured).")
    return _subscribe(email, post.id, None, settings, secret)


def _subscribe(
    email: str, post_id: int, comment_id: int | None, settings: Settings, secret: str
) -> str:
    if not settings.smtp_host:
        return "off"
    address = email.strip().lower()
    now = utcnow()
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(ReplySubscription)
        .where(ReplySubscription.email == address, ReplySubscription.status == "confirmed")
    )
    status = "confirmed" if confirmed else "unconfirmed"
    db.session.add(
        ReplySubscription(
            email=address,
            post_id=post_id,
            comment_id=comment_id,
            status=status,
            created_at=now,
            confirmed_at=now if confirmed else None,
        )
    )
    if confirmed:
        return status
    recent = db.session.scalar(
        select(func.count())
        .select_from(MailDelivery)
        .where(
            MailDelivery.to_address == address,
            MailDelivery.kind == "confirmation",
            MailDelivery.created_at > now - timedelta(days=1),
        )
    )
    if recent >= CONFIRMATIONS_PER_DAY:
        return status  # the link already sent confirms this subscription too
    confirm = _link(settings, "confirm", _signer(secret, "confirm").dumps(address))
    text = (
        f"Someone (we hope you) asked to be told by email of replies to a comment on "
        f"{_site(settings)}.\n\nTo receive them, confirm your address:\n\n{confirm}\n\n"
        "If it was not you, ignore this mail: nothing more will be sent.\n"
    )
    _queue(settings, secret, address, "confirmation", "Confirm reply notifications", text, now)
    return status


def confirm(token: str, secret: str) -> dict:
    """The address followed its confirmation link: its subscriptions start."""
    address = _address_of(secret, "confirm", token, CONFIRM_MAX_AGE)
    now = utcnow()
    changed = db.session.execute(
        update(ReplySubscription)
        .where(ReplySubscription.email == address, ReplySubscription.status == "unconfirmed")
        .values(status="confirmed", confirmed_at=now)
    ).rowcount
    return {"email": address, "status": "confirmed", "subscriptions": changed}


def unsubscription(token: str, secret: str) -> dict:
    address = _address_of(secret, "unsubscribe", token, None)
    active = db.session.scalar(
        select(func.count())
        .select_from(ReplySubscription)
        .where(
            ReplySubscription.email == address,
            ReplySubscription.status.in_(("unconfirmed", "confirmed")),
        )
    )
    return {"email": address, "status": "subscribed" if active else "unsubscribed"}


def unsubscribe(token: str, secret: str) -> dict:
    """One click, no login: every subscription of the address ends, and nothing waiting
    for it is sent."""
    address = _address_of(secret, "unsubscribe", token, None)
    now = utcnow()
    db.session.execute(
        update(ReplySubscription)
        .where(
            ReplySubscription.email == address,
            ReplySubscription.status.in_(("unconfirmed", "confirmed")),
        )
        .values(status="unsubscribed", unsubscribed_at=now)
    )
    db.session.execute(
        update(MailDelivery)
        .where(MailDelivery.to_address == address, MailDelivery.status == "pending")
        .values(status="failed", last_error="unsubscribed")
    )
    return {"email": address, "status": "unsubscribed"}


# --- the consumer: approved replies -----------------------------------------------------


def mail_configured() -> bool:
    """Whether a notice could be sent at all (no SMTP server: nothing to do per event)."""
    return bool(current_app.config["MARGINALIA"].smtp_host)


def on_comment_event(event) -> None:
    """A comment became approved: its parent's confirmed subscribers, and its post's
    thread subscribers, get a notice."""
    data = event.data.get("comment") or {}
    if data.get("status") != "approved" or data.get("type") != "comment":
        return
    if not mail_configured():
        return
    reply = db.session.get(Comment, data["id"]) if data["id"] <= MAX_ID else None
    if reply is None or reply.status != "approved":
        return
    author = (reply.author_email or "").strip().lower()
    wanted = ReplySubscription.post_id == reply.post_id
    wanted &= ReplySubscription.comment_id.is_(None)
    if reply.parent_id:
        wanted |= ReplySubscription.comment_id == reply.parent_id
    subscribers = db.session.scalars(
        select(ReplySubscription)
        .where(wanted, ReplySubscription.status == "confirmed")
        .order_by(ReplySubscription.id)
    )
    added, told = False, {author}
    for subscription in subscribers:
        if subscription.email in told:
            continue  # nobody is told of their own reply, nor twice of one
        told.add(subscription.email)
        known = db.session.scalar(
            select(ReplyNotice.id).where(
                ReplyNotice.subscription_id == subscription.id,
                ReplyNotice.comment_id == reply.id,
            )
        )
        if known is None:
            db.session.add(
                ReplyNotice(
                    subscription_id=subscription.id,
                    email=subscription.email,
                    comment_id=reply.id,
                    created_at=utcnow(),
                )
            )
            added = True
    if added:
        enqueue_after_commit(TASK)


# --- the worker: digests and sending ----------------------------------------------------


def build_digests(settings: Settings, secret: str, now: datetime | None = None) -> int:
    """Gather waiting notices into one digest per address (at most one per
    `notify_digest_minutes`); returns how many digests were made."""
    now = now or utcnow()
    made = 0
    with unit_of_work():
        addresses = list(
            db.session.scalars(
                select(ReplyNotice.email).where(ReplyNotice.delivery_id.is_(None)).distinct()
            )
        )
        since = now - timedelta(minutes=settings.notify_digest_minutes)
        for address in addresses:
            if settings.notify_digest_minutes:
                last = db.session.scalar(
                    select(func.max(MailDelivery.created_at)).where(
                        MailDelivery.to_address == address, MailDelivery.kind == "digest"
                    )
                )
                if last is not None and last > since:
                    continue  # this address's next digest waits
            if _digest(settings, secret, address, now):
                made += 1
    return made


def _digest(settings: Settings, secret: str, address: str, now: datetime) -> bool:
    rows = list(
        db.session.execute(
            select(ReplyNotice, ReplySubscription.status, Comment)
            .join(ReplySubscription, ReplySubscription.id == ReplyNotice.subscription_id)
            .join(Comment, Comment.id == ReplyNotice.comment_id, isouter=True)
            .where(ReplyNotice.email == address, ReplyNotice.delivery_id.is_(None))
            .order_by(ReplyNotice.id)
        )
    )
    wanted = [
        (notice, reply)
        for notice, status, reply in rows
        if status == "confirmed" and reply is not None and reply.status == "approved"
    ]
    if not wanted:
        for notice, _, _ in rows:
            notice.delivery_id = 0  # nothing to say any more: never looked at again
        return False
    posts = find_posts({reply.post_id for _, reply in wanted}, site_url=settings.site_url)
    parts = []
    for _, reply in wanted:
        post = posts.get(reply.post_id)
        where = f"{post.url}#comment-{reply.id}" if post else ""
        title = post.title if post else "a post"
        excerpt = plain_text(reply.body_html)[:500]
        verb = "replied" if reply.parent_id else "commented"
        parts.append(f"{reply.author_name} {verb} on “{title}”:\n\n{excerpt}\n\n{where}\n")
    count = len(wanted)
    subject = (
        "A new comment in a discussion you follow"
        if count == 1
        else f"{count} new comments in discussions you follow"
    )
    text = "\n---\n\n".join(parts)
    delivery = _queue(settings, secret, address, "digest", subject, text, now)
    taken = {notice.id for notice, _ in wanted}
    for notice, _, _ in rows:
        notice.delivery_id = delivery.id if notice.id in taken else 0
    return True


def _queue(
    settings: Settings,
    secret: str,
    address: str,
    kind: str,
    subject: str,
    text: str,
    now: datetime,
    *,
    unsubscribe: bool = True,
) -> MailDelivery:
    unsubscribe_url = None
    if unsubscribe:
        token = _signer(secret, "unsubscribe").dumps(address)
        unsubscribe_url = _link(settings, "unsubscribe", token)
        text += f"\n\nStop these mails: {unsubscribe_url}\n"
    delivery = MailDelivery(
        to_address=address,
        kind=kind,
        subject=subject,
        text=text,
        unsubscribe_url=unsubscribe_url,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    enqueue_after_commit(TASK)
    return delivery


def build_moderator_digests(settings: Settings, secret: str, now: datetime | None = None) -> int:
    """With `moderator_digest` on: each moderator's or admin's token email gets the
    comments that became pending since its last digest (at most one per
    `notify_digest_minutes`)."""
    if not settings.moderator_digest or not settings.smtp_host:
        return 0
    now = now or utcnow()
    made = 0
    with unit_of_work():
        for address in moderator_emails():
            last = db.session.scalar(
                select(func.max(MailDelivery.created_at)).where(
                    MailDelivery.to_address == address, MailDelivery.kind == "moderation"
                )
            )
            if last is not None and last > now - timedelta(minutes=settings.notify_digest_minutes):
                continue
            since = last or now - timedelta(days=1)
            pending = list(
                db.session.scalars(
                    select(Comment)
                    .where(Comment.status == "pending", Comment.created_at > since)
                    .order_by(Comment.created_at, Comment.id)
                    .limit(BATCH)
                )
            )
            if not pending:
                continue
            posts = find_posts({c.post_id for c in pending}, site_url=settings.site_url)
            lines = [
                f"- {c.author_name} on “{posts[c.post_id].title if c.post_id in posts else '?'}”"
                f" ({c.type}): {plain_text(c.body_html)[:200]}"
                for c in pending
            ]
            count = len(pending)
            subject = f"{count} comment{'s' if count != 1 else ''} waiting for moderation"
            text = "\n".join(lines) + (
                f"\n\nThe queue: {settings.api_url.rstrip('/')}/console/\n"
                "(These mails stop when the token's email is removed or the setting is off.)"
            )
            _queue(settings, secret, address, "moderation", subject, text, now, unsubscribe=False)
            made += 1
    return made


def send_due_mail(settings: Settings, now: datetime | None = None) -> int:
    """Send every due mail through one SMTP session; returns how many were sent."""
    smtp = mail.smtp_settings(settings)
    if smtp is None:
        return 0
    now = now or utcnow()
    with unit_of_work():
        due = [
            (d.id, d.to_address, d.subject, d.text, d.unsubscribe_url)
            for d in db.session.scalars(
                select(MailDelivery)
                .where(MailDelivery.status == "pending", MailDelivery.next_attempt_at <= now)
                .order_by(MailDelivery.id)
                .limit(BATCH)
            )
        ]
    if not due:
        return 0
    end_reads()
    outcomes: dict[int, mail.MailError | None] = {}
    try:
        with mail.smtp_session(smtp) as session:
            for delivery_id, to, subject, text, unsubscribe_url in due:
                message = mail.build_message(
                    sender=settings.mail_from,
                    to=to,
                    subject=subject,
                    text=text,
                    unsubscribe_url=unsubscribe_url,
                )
                try:
                    session.send(message)
                    outcomes[delivery_id] = None
                except mail.MailError as exc:
                    outcomes[delivery_id] = exc
    except mail.MailError as exc:  # no session at all: the server is down or refuses us
        log.warning("mail: %s", exc)
        for delivery_id, *_ in due:
            outcomes.setdefault(delivery_id, exc)
    sent = 0
    with unit_of_work():
        for delivery_id, error in outcomes.items():
            delivery = db.session.get(MailDelivery, delivery_id)
            delivery.attempts += 1
            if error is None:
                delivery.status, delivery.sent_at, delivery.last_error = "sent", utcnow(), None
                sent += 1
                continue
            delivery.last_error = str(error)[:500]
            schedule = settings.mail_retry_schedule
            if not error.temporary or delivery.attempts > len(schedule):
                delivery.status = "failed"
            else:
                delivery.next_attempt_at = utcnow() + timedelta(
                    seconds=schedule[delivery.attempts - 1]
                )
    return sent


def deliveries(*, limit: int, cursor: str | None, codec: CursorCodec, count: bool) -> Page:
    """The mail log, newest first (admins)."""
    return paginate(
        db.session,
        select(MailDelivery),
        [SortKey(MailDelivery.id, True)],
        limit=limit,
        cursor=cursor,
        codec=codec,
        count=count,
        key_of=lambda row: [row.id],
    )


def _site(settings: Settings) -> str:
    return defences.blog_url(settings)
