"""Mail through any SMTP server, with the standard library (smtplib, email).

Two halves: `build_message` makes an RFC 5322 message (plain text, an optional HTML
alternative, one-click unsubscribe headers), and `SmtpSettings` + `smtp_session` /
`send` deliver it. Nothing here retries: a failure raises either

* `TemporaryMailError`: trying the same message again later may work without anyone
  doing anything: 4xx replies, refused or dropped connections, timeouts, DNS trouble;
* `PermanentMailError`: it will not, until someone changes the message or the
  settings: 5xx replies (no such mailbox, wrong credentials), a server that does not
  offer the STARTTLS we were told to require, a certificate that does not verify.

so the worker's retry loop can decide and the delivery log can say why.

Security modes: ``none`` (plain SMTP, port 25, only for a relay on a trusted network),
``starttls`` (port 587: the session is upgraded before anything else is said, and a
server that does not offer STARTTLS is refused rather than talked to in clear; a
downgrade is what an attacker on the path would cause), ``tls`` (implicit TLS, port
465). Certificates are verified against the system's CAs unless a context is given.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from config import Settings

SECURITY_MODES = ("none", "starttls", "tls")
# What smtplib and the socket layer raise (ssl errors are OSErrors); a ValueError is an
# address or header the server's extensions cannot carry (e.g. UTF-8 without SMTPUTF8).
_SMTP_FAILURES = (smtplib.SMTPException, OSError, ValueError)
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


class MailError(Exception):
    """Sending failed; `code` is the SMTP reply code when the server gave one."""

    temporary = True

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryMailError(MailError):
    temporary = True


class PermanentMailError(MailError):
    temporary = False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # none | starttls | tls
    user: str = ""
    password: str = field(default="", repr=False)
    from_address: str = ""
    timeout: float = 10.0  # per socket operation
    local_hostname: str | None = None  # the EHLO name; None = this machine's FQDN
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(f"smtp security must be one of {', '.join(SECURITY_MODES)}")
        if not self.host:
            raise ValueError("an SMTP host is required")
        if not 0 < self.port < 65536:
            raise ValueError("the SMTP port must be between 1 and 65535")


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """The mail settings from the app's configuration; None when mail is off (no host)."""
    if not settings.smtp_host:
        return None
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password,
        from_address=settings.mail_from,
        timeout=settings.smtp_timeout,
    )


# --- messages ---------------------------------------------------------------------------


def _address(value: str, what: str) -> tuple[str, str]:
    """`value` checked, and its bare address (``Name <a@b>`` -> ``a@b``)."""
    value = value.strip()
    bare = parseaddr(value)[1]
    local, at, domain = bare.rpartition("@")
    if any(c in value for c in "\r\n") or not (local and at and domain):
        raise ValueError(f"{what} is not an email address: {value!r}")
    return value, bare


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """An RFC 5322 message: text/plain, or multipart/alternative with `html`.

    `sender` and `to` may carry a display name (``"Blog <noreply@blog.example>"``).
    `unsubscribe_url` adds ``List-Unsubscribe`` and, when it is https, the RFC 8058
    one-click ``List-Unsubscribe-Post`` header: mail clients then POST
    ``List-Unsubscribe=One-Click`` to that URL, which must unsubscribe without a login
    or a confirmation page. (RFC 8058 also wants both headers covered by a DKIM
    signature: that is the sending MTA's job.)
    """
    (sender, sender_address), (to, _) = _address(sender, "sender"), _address(to, "recipient")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a line break in a title ends no header
    message["Date"] = format_datetime(now or datetime.now(UTC))
    # The sender's domain, not this machine's name (make_msgid would look that up).
    message["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    targets = []
    if unsubscribe_url:
        if urlsplit(unsubscribe_url).scheme not in ("https", "http"):
            raise ValueError("the unsubscribe URL must be an http(s) URL")
        targets.append(f"<{unsubscribe_url}>")
    if unsubscribe_mailto:
        mailto = unsubscribe_mailto
        targets.append(f"<{mailto if mailto.startswith('mailto:') else 'mailto:' + mailto}>")
    if targets:
        message["List-Unsubscribe"] = ", ".join(targets)
    if unsubscribe_url and unsubscribe_url.startswith("https://"):
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in (headers or {}).items():
        message[name] = value  # the email package refuses CR/LF in values
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


# --- sending ----------------------------------------------------------------------------


class SmtpSession:
    """One open, authenticated connection; send several messages through it."""

    def __init__(self, client: smtplib.SMTP) -> None:
        self._client = client

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; raises TemporaryMailError/PermanentMailError."""
        try:
            refused = self._client.send_message(message)
        except _SMTP_FAILURES as exc:
            raise _classify(exc) from exc
        if refused:  # some recipients taken, others refused: report the refusal
            raise _classify(smtplib.SMTPRecipientsRefused(refused))


@contextmanager
def smtp_session(settings: SmtpSettings) -> Iterator[SmtpSession]:
    """Connect, secure and log in as `settings` say; the connection closes on exit."""
    try:
        client = _connect(settings)
    except _SMTP_FAILURES as exc:
        raise _classify(exc) from exc
    try:
        yield SmtpSession(client)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver one message on a connection of its own."""
    with smtp_session(settings) as session:
        session.send(message)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = settings.ssl_context or ssl.create_default_context()
    client: smtplib.SMTP
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            local_hostname=settings.local_hostname,
            timeout=settings.timeout,
            context=context,
        )
    else:
        client = smtplib.SMTP(
            settings.host,
            settings.port,
            local_hostname=settings.local_hostname,
            timeout=settings.timeout,
        )
    try:
        client.ehlo()
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                raise PermanentMailError(
                    "the SMTP server does not offer STARTTLS; not sending in clear text"
                )
            client.starttls(context=context)
            client.ehlo()
        if settings.user:
            client.login(settings.user, settings.password)
    except BaseException:
        client.close()
        raise
    return client


def _classify(exc: BaseException) -> MailError:
    """The failure as a temporary or permanent MailError (see the module docstring)."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(
            f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items()
        )
        kind = TemporaryMailError if all(400 <= c < 500 for c in codes) else PermanentMailError
        return kind(f"recipient refused ({detail})", codes[0] if codes else None)
    if isinstance(exc, smtplib.SMTPResponseException):
        code, reply = exc.smtp_code, _text(exc.smtp_error)
        kind = PermanentMailError if 500 <= code < 600 else TemporaryMailError
        return kind(f"SMTP server answered {code} {reply}", code)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentMailError(f"the SMTP server does not support this: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentMailError(f"the SMTP server's certificate did not verify: {exc.reason}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryMailError(f"the SMTP server closed the connection: {exc}")
    if isinstance(exc, ConnectionRefusedError):
        return TemporaryMailError("the SMTP server refused the connection")
    if isinstance(exc, TimeoutError):
        return TemporaryMailError("the SMTP server did not answer in time")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return TemporaryMailError(f"could not talk to the SMTP server: {exc}")
    return PermanentMailError(f"could not send the message: {exc!r}")


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(reply.split())
