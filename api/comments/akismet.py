"""A client for the Akismet protocol (version 1.1), spoken by Akismet and by services
that copy it.

The four calls, each a form-encoded POST to ``<service URL><call>``:

* ``comment-check``: body ``true`` (spam) or ``false`` (ham). ``true`` together with the
  header ``X-akismet-pro-tip: discard`` is blatant spam the site may drop unseen. Any
  other body (``invalid`` for a bad key, or an error text) comes with an
  ``X-akismet-debug-help`` header saying what was wrong.
* ``submit-spam`` / ``submit-ham``: a moderator's correction; the answer is
  ``Thanks for making the web a better place.``
* ``verify-key``: ``valid`` or ``invalid``.

The service URL is a setting. Akismet's own is ``https://rest.akismet.com/1.1/`` with
the key sent as the ``api_key`` field (its current documentation); the older form put
the key in the host name, ``https://{key}.rest.akismet.com/1.1/``, and a URL holding
``{key}`` is filled in that way (the key is then sent as ``api_key`` too; services
ignore fields they do not know).

Every request goes through the guarded client (api/infra/outbound.py) with one short total
time limit, because a comment's sender waits for the check. The check can never lose a
comment: a refused connection, a timeout, an answer that is not the protocol's, an
invalid key — all are ``unavailable``, and the caller leaves the comment for a
moderator. Nothing here logs the key or the URL holding it.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from api.infra.outbound import FetchResult, GuardedClient, OutboundError, OutboundPolicy

log = logging.getLogger(__name__)

DEFAULT_SERVICE_URL = "https://rest.akismet.com/1.1/"
DEFAULT_TIMEOUT = 3.0
# Akismet asks for "Application/Version | Plugin/Version".
USER_AGENT = "Marginalia/0.1 | marginalia-akismet/1.1"
THANKS = "Thanks for making the web a better place."
MAX_ANSWER_BYTES = 16_384  # the protocol's answers are a word or a sentence
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Verdict(enum.StrEnum):
    SPAM = "spam"
    HAM = "ham"
    DISCARD = "discard"  # blatant spam: safe to drop without storing
    UNAVAILABLE = "unavailable"  # no usable answer: leave the comment to a moderator


class KeyStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"


class SubmitResult(enum.StrEnum):
    ACCEPTED = "accepted"
    INVALID_KEY = "invalid_key"  # retrying will not help; an admin must fix the key
    UNAVAILABLE = "unavailable"  # retry later


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    reason: str  # for the moderation queue
    debug_help: str | None = None  # the service's X-akismet-debug-help, when it sent one


@dataclass(frozen=True)
class CommentFields:
    """What the protocol documents about one comment. ``blog`` comes from the client
    unless set here; empty values are not sent."""

    user_ip: str
    user_agent: str = ""
    referrer: str = ""  # the HTTP Referer header (the protocol's spelling)
    permalink: str = ""  # the post's public URL
    comment_type: str = "comment"  # comment, reply, pingback, trackback, webmention...
    comment_author: str = ""
    comment_author_email: str = ""
    comment_author_url: str = ""
    comment_content: str = ""
    comment_date_gmt: datetime | None = None  # when the comment was written
    comment_post_modified_gmt: datetime | None = None  # when the post last changed
    blog: str = ""
    blog_lang: str = ""  # e.g. "en" or "en, fr_ca"
    blog_charset: str = "UTF-8"
    user_role: str = ""  # "administrator" is never spam
    is_test: bool = False  # a test call: Akismet does not learn from it
    recheck_reason: str = ""  # set when checking again after an edit
    extra: Mapping[str, str] = field(default_factory=dict)  # more documented fields

    def form(self, blog: str) -> dict[str, str]:
        values: dict[str, str | datetime | bool | None] = {
            "blog": self.blog or blog,
            "user_ip": self.user_ip,
            "user_agent": self.user_agent,
            "referrer": self.referrer,
            "permalink": self.permalink,
            "comment_type": self.comment_type,
            "comment_author": self.comment_author,
            "comment_author_email": self.comment_author_email,
            "comment_author_url": self.comment_author_url,
            "comment_content": self.comment_content,
            "comment_date_gmt": self.comment_date_gmt,
            "comment_post_modified_gmt": self.comment_post_modified_gmt,
            "blog_lang": self.blog_lang,
            "blog_charset": self.blog_charset,
            "user_role": self.user_role,
            "is_test": "1" if self.is_test else "",
            "recheck_reason": self.recheck_reason,
            **self.extra,
        }
        return {name: _text(value) for name, value in values.items() if value}


def _text(value: str | datetime | bool) -> str:
    if isinstance(value, datetime):
        # ISO 8601, as the protocol asks; naive times are taken as UTC.
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


class AkismetClient:
    """One site's connection to the service; thread-safe, keeps connections alive."""

    def __init__(
        self,
        key: str,
        blog: str,
        *,
        service_url: str = DEFAULT_SERVICE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        allow_private: bool = False,
        client: GuardedClient | None = None,
    ) -> None:
        if not _KEY_SHAPE.fullmatch(key or ""):
            raise ValueError("the Akismet key must be 1-64 letters, digits, '-' or '_'")
        if not blog.startswith(("https://", "http://")):
            raise ValueError("blog must be the site's front page URL (http or https)")
        self._key = key
        self._blog = blog
        base = service_url.replace("{key}", key)
        self._base = base if base.endswith("/") else f"{base}/"
        self._client = client or GuardedClient(
            OutboundPolicy(
                allow_private=allow_private,
                max_redirects=0,
                connect_timeout=timeout,
                read_timeout=timeout,
                total_timeout=timeout,
                max_bytes=MAX_ANSWER_BYTES,
                user_agent=USER_AGENT,
            )
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> AkismetClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- calls ----------------------------------------------------------------------

    def comment_check(self, fields: CommentFields) -> CheckResult:
        answer = self._post("comment-check", {**fields.form(self._blog), "api_key": self._key})
        if isinstance(answer, str):
            return CheckResult(Verdict.UNAVAILABLE, _unavailable(answer))
        body, debug_help = _body(answer), answer.headers.get("x-akismet-debug-help")
        _log_alerts(answer)
        if answer.status_code == 200 and body == "true":
            if answer.headers.get("x-akismet-pro-tip", "").strip().lower() == "discard":
                return CheckResult(Verdict.DISCARD, "Akismet: blatant spam (pro-tip: discard).")
            return CheckResult(Verdict.SPAM, "Akismet: spam.")
        if answer.status_code == 200 and body == "false":
            return CheckResult(Verdict.HAM, "Akismet: not spam.")
        problem = "invalid API key" if body == "invalid" else _describe(answer, body)
        log.warning("akismet comment-check: %s (debug help: %s)", problem, debug_help)
        return CheckResult(Verdict.UNAVAILABLE, _unavailable(problem), debug_help)

    def submit_spam(self, fields: CommentFields) -> SubmitResult:
        return self._submit("submit-spam", fields)

    def submit_ham(self, fields: CommentFields) -> SubmitResult:
        return self._submit("submit-ham", fields)

    def verify_key(self) -> KeyStatus:
        # `key` is the older name of the field, still what some compatible services read.
        answer = self._post(
            "verify-key", {"api_key": self._key, "key": self._key, "blog": self._blog}
        )
        if isinstance(answer, str):
            return KeyStatus.UNAVAILABLE
        body = _body(answer)
        if answer.status_code == 200 and body in ("valid", "invalid"):
            return KeyStatus(body)
        log.warning("akismet verify-key: %s", _describe(answer, body))
        return KeyStatus.UNAVAILABLE

    # --- plumbing -------------------------------------------------------------------

    def _submit(self, call: str, fields: CommentFields) -> SubmitResult:
        answer = self._post(call, {**fields.form(self._blog), "api_key": self._key})
        if isinstance(answer, str):
            return SubmitResult.UNAVAILABLE
        body = _body(answer)
        _log_alerts(answer)
        if answer.status_code == 200 and body == THANKS:
            return SubmitResult.ACCEPTED
        if body == "invalid":
            log.warning("akismet %s: invalid API key", call)
            return SubmitResult.INVALID_KEY
        log.warning("akismet %s: %s", call, _describe(answer, body))
        return SubmitResult.UNAVAILABLE

    def _post(self, call: str, form: dict[str, str]) -> FetchResult | str:
        """The service's answer, or a short reason why there is none."""
        try:
            return self._client.post(
                self._base + call,
                content=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                follow_redirects=False,
            )
        except OutboundError as exc:
            # The reason code only: the message names the host, which may hold the key.
            log.warning("akismet %s: %s", call, exc.reason)
            return exc.reason


def _body(answer: FetchResult) -> str:
    return answer.content.decode("utf-8", errors="replace").strip()


def _describe(answer: FetchResult, body: str) -> str:
    return f"unexpected answer (HTTP {answer.status_code}, {body[:80]!r})"


def _unavailable(problem: str) -> str:
    return f"Akismet unavailable ({problem}); left for a moderator."


def _log_alerts(answer: FetchResult) -> None:
    # Account problems (a lapsed subscription, a key used on too many sites) arrive as
    # alert headers on otherwise normal answers; only the logs can tell an admin.
    code = answer.headers.get("x-akismet-alert-code")
    if code:
        log.warning("akismet alert %s: %s", code, answer.headers.get("x-akismet-alert-msg", ""))
