"""The intake rules: named, pure functions that judge a comment (no app, no database).

The intake service gathers the facts (`Case`), then:

1. the refusal rules run in order and the first that fires refuses the comment with an
   HTTP status (closed 403, flood 429, duplicate 409); nothing is stored;
2. every status rule runs and each verdict that fires is kept, then the approval rule
   adds its verdict (approved when the author has an approved comment, else pending).
   The comment takes the strictest verdict
   (spam > pending > approved), and all of them are stored in `Comment.reasons` as
   `{"rule", "verdict", "reason"}` so moderators (and the queue's filters) see why.

Matching follows WordPress: moderation and disallowed keys match case-insensitively,
inside words, against the text, author name, email, URL, IP and user agent; a key that
is an IP network (`203.0.113.0/24`) matches the client address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from api.comments.discussion import DiscussionSettings
from api.rendering import plain_text

REFUSED, SPAM, PENDING, APPROVED = "refused", "spam", "pending", "approved"
STRICTNESS = {APPROVED: 0, PENDING: 1, SPAM: 2}


@dataclass(frozen=True)
class Author:
    """Who wrote a comment: an OIDC identity (issuer, subject) or what an anonymous
    commenter typed."""

    name: str
    email: str | None = None
    url: str | None = None
    issuer: str | None = None
    subject: str | None = None

    @property
    def kind(self) -> str:
        if self.issuer and self.subject:
            return "identity"
        return "email" if self.email else "name"

    @property
    def key(self) -> str:
        """A stable, private key for "the same author": identity, else email, else name."""
        if self.kind == "identity":
            raw = f"identity\n{self.issuer}\n{self.subject}"
        elif self.kind == "email":
            raw = f"email\n{self.email.strip().lower()}"
        else:
            raw = f"name\n{' '.join(self.name.casefold().split())}"
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def verifiable(self) -> bool:
        """Whether past approvals may vouch for this author: an identity or an email.
        A bare name is too easy to borrow."""
        return self.kind != "name"


@dataclass(frozen=True)
class History:
    """What the database knows that bears on this comment."""

    last_comment_at: datetime | None = None  # latest comment from the same IP or author
    duplicate: bool = False  # same author, same text, same post
    author_has_approved: bool = False


@dataclass(frozen=True)
class Defence:
    """What the spam defences found (issue 20): the intake gathers it, the rules below
    judge it. Every field is optional: a comment imported or edited has no form token."""

    block_action: str | None = None  # hold | spam | shadow (shadow only when enabled)
    block_reason: str = ""
    honeypot: bool = False  # the honeypot field came back filled in
    token: str | None = None  # api/comments/form_tokens.TokenVerdict; None = not checked
    token_action: str = "hold"  # noqa: S105  what a bad token does: hold | refuse | ignore
    akismet: str | None = None  # api/comments/akismet.Verdict; None = not asked
    akismet_reason: str = ""


@dataclass(frozen=True)
class Case:
    body: str  # Markdown as typed
    body_html: str  # rendered and sanitised
    author: Author
    now: datetime
    ip: str | None = None
    user_agent: str | None = None
    comments_open: bool = True
    published_at: datetime | None = None
    history: History = field(default_factory=History)
    defence: Defence = field(default_factory=Defence)


@dataclass(frozen=True)
class Verdict:
    rule: str
    verdict: str
    reason: str
    http_status: int | None = None  # refusals only
    retry_after: int | None = None  # flood only

    def as_record(self) -> dict:
        return {"rule": self.rule, "verdict": self.verdict, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    status: str
    verdicts: tuple[Verdict, ...]

    @property
    def reasons(self) -> list[dict]:
        return [v.as_record() for v in self.verdicts]

    @property
    def rules(self) -> list[str]:
        return [v.rule for v in self.verdicts]


Rule = Callable[[Case, DiscussionSettings], "Verdict | None"]


# --- refusal rules ----------------------------------------------------------------------


def comments_closed(case: Case, settings: DiscussionSettings) -> Verdict | None:
    if not case.comments_open:
        return Verdict("comments_closed", REFUSED, "Comments are closed on this post.", 403)
    if settings.close_comments_for_old_posts and case.published_at is not None:
        days = settings.close_comments_days_old
        if case.now - case.published_at > timedelta(days=days):
            reason = f"Comments close {days} days after a post is published."
            return Verdict("comments_closed", REFUSED, reason, 403)
    return None


def flood(case: Case, settings: DiscussionSettings) -> Verdict | None:
    last, interval = case.history.last_comment_at, settings.flood_interval
    if not interval or last is None:
        return None
    wait = interval - (case.now - last).total_seconds()
    if wait <= 0:
        return None
    reason = f"You are posting comments too quickly; wait {interval} seconds between them."
    return Verdict("flood", REFUSED, reason, 429, retry_after=max(1, int(wait + 0.999)))


def duplicate(case: Case, settings: DiscussionSettings) -> Verdict | None:
    if case.history.duplicate:
        reason = "Duplicate comment: you have already said that on this post."
        return Verdict("duplicate", REFUSED, reason, 409)
    return None


TOKEN_REASONS = {
    "missing": "No comment-form token was sent.",
    "forged": "The comment-form token is not one we issued for this post and browser.",
    "too_fast": "The comment came sooner after its form token than a person can write one.",
    "too_old": "The comment-form token has expired.",
}


def form_token_refused(case: Case, settings: DiscussionSettings) -> Verdict | None:
    token = case.defence.token
    if token in TOKEN_REASONS and case.defence.token_action == "refuse":  # noqa: S105
        reason = TOKEN_REASONS[token] + " Fetch a new one from /v1/posts/{slug}/comment-token."
        return Verdict("form_token", REFUSED, reason, 403)
    return None


def akismet_discard(case: Case, settings: DiscussionSettings) -> Verdict | None:
    if case.defence.akismet == "discard":
        return Verdict("akismet_discard", REFUSED, case.defence.akismet_reason, 403)
    return None


REFUSAL_RULES: tuple[Rule, ...] = (
    comments_closed,
    form_token_refused,
    flood,
    duplicate,
    akismet_discard,
)


# --- status rules -----------------------------------------------------------------------


def disallowed_key(case: Case, settings: DiscussionSettings) -> Verdict | None:
    found = matching_key(settings.disallowed_keys, case)
    if found:
        key, where = found
        return Verdict("disallowed_key", SPAM, f"The {where} contains the disallowed key {key!r}.")
    return None


def too_many_links(case: Case, settings: DiscussionSettings) -> Verdict | None:
    links = count_links(case.body_html)
    if links > settings.max_links:
        reason = f"{links} links; comments with more than {settings.max_links} are held."
        return Verdict("too_many_links", PENDING, reason)
    return None


def moderation_key(case: Case, settings: DiscussionSettings) -> Verdict | None:
    found = matching_key(settings.moderation_keys, case)
    if found:
        key, where = found
        return Verdict(
            "moderation_key", PENDING, f"The {where} contains the moderation key {key!r}."
        )
    return None


def hold_all(case: Case, settings: DiscussionSettings) -> Verdict | None:
    if settings.hold_all:
        return Verdict("hold_all", PENDING, "Every comment is held for a moderator.")
    return None


def blocked(case: Case, settings: DiscussionSettings) -> Verdict | None:
    """A block rule matched (api/comments/blocklist.py): hold, or spam (shadow is spam
    stored, and the sender is answered as if it were not)."""
    action = case.defence.block_action
    if action is None:
        return None
    verdict = PENDING if action == "hold" else SPAM
    rule = "shadow_block" if action == "shadow" else "blocked"
    return Verdict(rule, verdict, case.defence.block_reason)


def honeypot(case: Case, settings: DiscussionSettings) -> Verdict | None:
    if case.defence.honeypot:
        return Verdict("honeypot", SPAM, "The hidden honeypot field was filled in.")
    return None


def form_token(case: Case, settings: DiscussionSettings) -> Verdict | None:
    token = case.defence.token
    if token in TOKEN_REASONS and case.defence.token_action == "hold":  # noqa: S105
        return Verdict("form_token", PENDING, TOKEN_REASONS[token])
    return None


def akismet(case: Case, settings: DiscussionSettings) -> Verdict | None:
    answer = case.defence.akismet
    if answer == "spam":
        return Verdict("akismet", SPAM, case.defence.akismet_reason)
    if answer == "unavailable":
        return Verdict("akismet", PENDING, case.defence.akismet_reason)
    if answer == "ham":
        return Verdict("akismet", APPROVED, case.defence.akismet_reason)
    return None


STATUS_RULES: tuple[Rule, ...] = (
    blocked,
    honeypot,
    form_token,
    akismet,
    disallowed_key,
    too_many_links,
    moderation_key,
    hold_all,
)


def approval(case: Case, settings: DiscussionSettings) -> Verdict:
    """The default verdict when nothing stricter fired (WordPress's semantics)."""
    if not settings.previously_approved:
        return Verdict("auto_approve", APPROVED, "Comments need no earlier approval.")
    if case.author.verifiable and case.history.author_has_approved:
        return Verdict("previously_approved", APPROVED, "The author has an approved comment.")
    return Verdict("new_author", PENDING, "The author has no approved comment yet.")


# --- putting them together --------------------------------------------------------------


def refusal(case: Case, settings: DiscussionSettings) -> Verdict | None:
    """The first refusal rule that fires, or None when the comment may be stored."""
    for rule in REFUSAL_RULES:
        verdict = rule(case, settings)
        if verdict is not None:
            return verdict
    return None


def judge(case: Case, settings: DiscussionSettings) -> Decision:
    """The status of an admissible comment and every verdict behind it."""
    verdicts = [v for rule in STATUS_RULES if (v := rule(case, settings)) is not None]
    verdicts.append(approval(case, settings))
    status = max((v.verdict for v in verdicts), key=STRICTNESS.__getitem__)
    return Decision(status, tuple(verdicts))


def shadowed(decision: Decision) -> str | None:
    """The status a shadow-blocked comment's sender is told: what it would have had
    without the shadow block; None when no shadow block fired."""
    if "shadow_block" not in decision.rules:
        return None
    others = [v.verdict for v in decision.verdicts if v.rule != "shadow_block"]
    return max(others, key=STRICTNESS.__getitem__) if others else APPROVED


def stricter(first: str, second: str) -> str:
    return max(first, second, key=STRICTNESS.__getitem__)


# --- helpers ----------------------------------------------------------------------------

_ANCHOR_OPEN = re.compile(r"<a\s", re.I)
_ANCHOR = re.compile(r"<a\s[^>]*>.*?</a>", re.I | re.S)
_BARE_URL = re.compile(r"(?:\bhttps?://|\bwww\.)\S", re.I)


def count_links(body_html: str) -> int:
    """Links in a rendered comment: anchors, plus URLs left as plain text (spammers paste
    them bare hoping a reader copies them)."""
    anchors = len(_ANCHOR_OPEN.findall(body_html))
    rest = plain_text(_ANCHOR.sub(" ", body_html))
    return anchors + len(_BARE_URL.findall(rest))


def matching_key(keys: tuple[str, ...], case: Case) -> tuple[str, str] | None:
    """The first key found in the comment, with where it was found."""
    if not keys:
        return None
    author = case.author
    places = (
        ("comment text", case.body),
        ("author name", author.name),
        ("author email", author.email or ""),
        ("author URL", author.url or ""),
        ("IP address", case.ip or ""),
        ("user agent", case.user_agent or ""),
    )
    folded = [(where, text.casefold()) for where, text in places if text]
    address = _address(case.ip)
    for key in keys:
        network = _network(key)
        if network is not None:
            if address is not None and address.version == network.version and address in network:
                return key, "IP address"
            continue
        needle = key.casefold()
        for where, text in folded:
            if needle in text:
                return key, where
    return None


def _network(key: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(key, strict=False)
    except ValueError:
        return None


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip) if ip else None
    except ValueError:
        return None


def shown_status(status: str, reasons: list[dict] | None) -> str:
    """The status a comment's author is shown: a shadow-blocked comment looks as the
    other rules would have left it."""
    records = reasons or []
    if status != SPAM or not any(r.get("rule") == "shadow_block" for r in records):
        return status
    others = [r.get("verdict") for r in records if r.get("rule") != "shadow_block"]
    others = [v for v in others if v in STRICTNESS]
    return max(others, key=STRICTNESS.__getitem__) if others else APPROVED
