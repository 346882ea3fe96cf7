"""Moderators' corrections sent to the Akismet-protocol service (submit-spam, submit-ham).

A moderator marking a comment spam, or approving one that Akismet called spam, is an
event (`comment.spammed`, `comment.approved`); the worker's `akismet` consumer
(api/wiring.py) records a report row with the comment's fields, and after that commit
the worker sends it. A service that is down is tried again on a schedule; a refused key
fails the report at once (an admin must fix the key). Nothing is sent while no key is
configured.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from api.comments import defences
from api.comments.akismet import CommentFields, SubmitResult
from api.comments.models import MAX_ID, AkismetReport, Comment
from api.content.services import find_post
from api.events import catalogue as events
from api.infra.database import db
from api.infra.queue import enqueue_after_commit
from api.infra.timestamps import utcnow
from api.infra.unit_of_work import end_reads, unit_of_work
from config import Settings

EVENTS = (events.COMMENT_SPAMMED, events.COMMENT_APPROVED)
# Seconds before each retry; after the last the report is failed.
RETRY_SCHEDULE = (60, 600, 3600, 21600)
BATCH = 50


def akismet_configured() -> bool:
    """Whether a report could be sent at all (no Akismet key: nothing to do per event)."""
    return bool(current_app.config["MARGINALIA"].akismet_key)


def on_moderated(event) -> None:
    """Record the report a moderator's decision calls for (in the consumer's unit of work)."""
    if not akismet_configured():
        return
    comment_id = (event.data.get("comment") or {}).get("id")
    comment = db.session.get(Comment, comment_id) if comment_id and comment_id <= MAX_ID else None
    if comment is None or comment.type != "comment":
        return
    akismet_said = {r.get("verdict") for r in comment.reasons or [] if r.get("rule") == "akismet"}
    if event.type == events.COMMENT_SPAMMED.name:
        kind = "spam"
    elif "spam" in akismet_said:
        kind = "ham"  # Akismet held it; a moderator says otherwise
    else:
        return
    settings = current_app.config["MARGINALIA"]
    post = find_post(post_id=comment.post_id, site_url=settings.site_url)
    now = utcnow()
    db.session.add(
        AkismetReport(
            comment_id=comment.id,
            kind=kind,
            fields={
                "user_ip": comment.ip_address or "",
                "user_agent": comment.user_agent or "",
                "permalink": post.url if post else "",
                "comment_type": "reply" if comment.parent_id else "comment",
                "comment_author": comment.author_name,
                "comment_author_email": comment.author_email or "",
                "comment_author_url": comment.author_url or "",
                "comment_content": comment.body,
                "comment_date_gmt": comment.created_at.isoformat(),
            },
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    enqueue_after_commit("send_akismet_reports")


def send_due_reports(settings: Settings, now: datetime | None = None) -> int:
    """Send the reports whose time has come; returns how many were sent."""
    client = defences.akismet_client(settings)
    if client is None:
        return 0
    sent = 0
    with unit_of_work():
        due = list(
            db.session.scalars(
                select(AkismetReport)
                .where(
                    AkismetReport.status == "pending",
                    or_(
                        AkismetReport.next_attempt_at.is_(None),
                        AkismetReport.next_attempt_at <= (now or utcnow()),
                    ),
                )
                .order_by(AkismetReport.id)
                .limit(BATCH)
            )
        )
        work = [(r.id, r.kind, dict(r.fields)) for r in due]
    for report_id, kind, fields in work:
        end_reads()
        submit = client.submit_spam if kind == "spam" else client.submit_ham
        result = submit(_fields(fields, settings))
        with unit_of_work():
            report = db.session.get(AkismetReport, report_id)
            report.attempts += 1
            report.updated_at = utcnow()
            if result is SubmitResult.ACCEPTED:
                report.status, report.last_error = "sent", None
                sent += 1
            elif result is SubmitResult.INVALID_KEY or report.attempts > len(RETRY_SCHEDULE):
                report.status, report.last_error = "failed", str(result)
            else:
                delay = RETRY_SCHEDULE[report.attempts - 1]
                report.next_attempt_at = utcnow() + timedelta(seconds=delay)
                report.last_error = str(result)
    return sent


def _fields(stored: dict, settings: Settings) -> CommentFields:
    written = stored.get("comment_date_gmt")
    return CommentFields(
        user_ip=stored.get("user_ip", ""),
        user_agent=stored.get("user_agent", ""),
        permalink=stored.get("permalink", ""),
        comment_type=stored.get("comment_type", "comment"),
        comment_author=stored.get("comment_author", ""),
        comment_author_email=stored.get("comment_author_email", ""),
        comment_author_url=stored.get("comment_author_url", ""),
        comment_content=stored.get("comment_content", ""),
        comment_date_gmt=datetime.fromisoformat(written) if written else None,
        blog_lang=settings.site_language,
    )


def reports() -> list[dict]:
    """Every report, oldest first (for tests and the CLI)."""
    rows = db.session.scalars(select(AkismetReport).order_by(AkismetReport.id))
    return [
        {"comment_id": r.comment_id, "kind": r.kind, "status": r.status, "attempts": r.attempts}
        for r in rows
    ]
