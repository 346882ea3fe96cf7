"""The spam defences' facts about one submission, for the intake rules (issue 20).

The intake (api/comments/intake.py) asks here what the block rules, the honeypot, the
comment-form token and, when a key is configured, the Akismet-protocol service say; the
rules (api/comments/rules.py: `blocked`, `honeypot`, `form_token`, `akismet`, and the
refusals `form_token_refused`, `akismet_discard`) turn the answers into verdicts.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from api.comments import blocks
from api.comments.akismet import AkismetClient, CommentFields
from api.comments.blocklist import Blocklist, CommentCandidate
from api.comments.form_tokens import FormTokens, TokenVerdict, client_hint
from api.comments.rules import Author, Defence
from config import Settings

_lock = threading.Lock()
_akismet: dict[int, tuple[Settings, AkismetClient]] = {}
_tokens: dict[str, FormTokens] = {}


def form_tokens(secret: str) -> FormTokens:
    tokens = _tokens.get(secret)
    if tokens is None:
        tokens = _tokens.setdefault(secret, FormTokens(secret))
    return tokens


def issue_token(secret: str, post_id: int, user_agent: str | None, now: datetime) -> str:
    return form_tokens(secret).issue(post_id, client_hint(user_agent), now)


def gather(
    settings: Settings,
    secret: str,
    *,
    post_id: int,
    author: Author,
    body: str,
    ip: str | None,
    user_agent: str | None,
    form_token: str | None,
    honeypot: str | None,
    check_token: bool,
    now: datetime,
    blocklist: Blocklist | None = None,
) -> Defence:
    """Block rules, honeypot and form token (no network)."""
    hit = blocks.check(
        CommentCandidate(
            email=author.email,
            ip=ip,
            issuer=author.issuer,
            subject=author.subject,
            name=author.name,
            url=author.url,
            body=body,
        ),
        now,
        blocklist,
    )
    action = None
    if hit is not None:
        action = hit.action
        if action == "shadow" and not settings.blocklist_shadow:
            action = "spam"
    token = None
    if check_token:
        token = form_tokens(secret).check(
            form_token,
            post_id,
            client_hint(user_agent),
            now,
            min_fill_seconds=settings.comment_token_min_seconds,
            max_age=settings.comment_token_max_age,
        )
    return Defence(
        block_action=action,
        block_reason=hit.reason if hit is not None else "",
        honeypot=bool((honeypot or "").strip()),
        token=None if token in (None, TokenVerdict.OK) else str(token),
        token_action=settings.comment_token_invalid,
        # "ignore" (the test suite's setting): the token is checked, nothing follows.
    )


def with_akismet(
    defence: Defence,
    settings: Settings,
    *,
    author: Author,
    body: str,
    ip: str | None,
    user_agent: str | None,
    referrer: str | None,
    permalink: str,
    comment_type: str,
    now: datetime,
) -> Defence:
    """The Akismet-protocol check, when a key is configured; its answer joins the facts.
    The service being down, slow or confused is an `unavailable` answer: the comment
    goes to the moderators, never lost."""
    client = akismet_client(settings)
    if client is None:
        return defence
    result = client.comment_check(
        CommentFields(
            user_ip=ip or "",
            user_agent=user_agent or "",
            referrer=referrer or "",
            permalink=permalink,
            comment_type=comment_type,
            comment_author=author.name,
            comment_author_email=author.email or "",
            comment_author_url=author.url or "",
            comment_content=body,
            comment_date_gmt=now,
            blog_lang=settings.site_language,
        )
    )
    return replace(defence, akismet=str(result.verdict), akismet_reason=result.reason)


def akismet_client(settings: Settings) -> AkismetClient | None:
    if not settings.akismet_key:
        return None
    known = _akismet.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    client = AkismetClient(
        settings.akismet_key,
        blog_url(settings),
        service_url=settings.akismet_url,
        timeout=settings.akismet_timeout,
        allow_private=settings.allow_private_targets,
    )
    with _lock:
        if len(_akismet) > 16:  # test suites make many settings; keep it bounded
            for _, old in _akismet.values():
                old.close()
            _akismet.clear()
        _akismet[id(settings)] = (settings, client)
    return client


def blog_url(settings: Settings) -> str:
    """The site's front page, from the post URL pattern."""
    parts = urlsplit(settings.site_url.replace("{slug}", "x"))
    return f"{parts.scheme}://{parts.netloc}/"


def close_clients() -> None:
    """Close the Akismet clients' connections (tests, and a process that ends)."""
    with _lock:
        for _, client in _akismet.values():
            client.close()
        _akismet.clear()
