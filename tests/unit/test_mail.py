"""Mail through a real SMTP server (aiosmtpd on 127.0.0.1): what arrives is a proper
message with one-click unsubscribe headers; each security mode and login works;
failures come out as temporary (retry) or permanent (give up) as the reply codes say."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.infra.mail import (
    PermanentMailError,
    SmtpSettings,
    TemporaryMailError,
    build_message,
    send,
    smtp_session,
    smtp_settings,
)
from config import ConfigError, load_settings

SENDER = "Marginalia Blog <noreply@blog.example>"
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


# --- a local SMTP server ----------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class Inbox:
    """The handler: keeps what it receives, refuses some recipients the way servers do."""

    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try again later"
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Line ends as a mail reader stores them (SMTP carries CRLF).
        content = envelope.content.replace(b"\r\n", b"\n")
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    inbox: Inbox
    port: int

    def settings(self, **overrides) -> SmtpSettings:
        values = {"host": "127.0.0.1", "port": self.port, "security": "none", "timeout": 5.0}
        return SmtpSettings(**{**values, **overrides})


def _serve(**smtp_options) -> Iterator[Server]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield Server(inbox, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(tls_files) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


def client_context(tls_files) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls_files[0]))


def accept_only(user: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (user, password)
        # handled=False: the server itself answers a failure (535), as real ones do.
        return AuthResult(success=ok, handled=False)

    return authenticator


def message(to: str = "reader@example.com", **overrides):
    values = {
        "sender": SENDER,
        "to": to,
        "subject": "New reply to your comment",
        "text": "Bob replied:\n\nI agree.\n",
        "now": NOW,
    }
    return build_message(**{**values, **overrides})


# --- messages ---------------------------------------------------------------------------


def test_what_arrives_is_a_complete_message(smtp):
    sent = message(
        html="<p>Bob replied:</p><blockquote>I agree.</blockquote>",
        unsubscribe_url="https://api.blog.example/v1/notifications/unsubscribe?t=abc",
        unsubscribe_mailto="unsubscribe@blog.example",
    )
    send(smtp.settings(), sent)
    (received,) = smtp.inbox.messages
    assert received.mail_from == "noreply@blog.example"
    assert received.rcpt_tos == ["reader@example.com"]
    got = received.message
    assert got["From"] == SENDER and got["To"] == "reader@example.com"
    assert got["Subject"] == "New reply to your comment"
    assert got["Date"] == "Sat, 01 Mar 2025 12:00:00 +0000"
    assert got["Message-ID"].endswith("@blog.example>")
    assert got["Auto-Submitted"] == "auto-generated"
    assert got["List-Unsubscribe"].strip() == (  # long: folded before its first URL
        "<https://api.blog.example/v1/notifications/unsubscribe?t=abc>, "
        "<mailto:unsubscribe@blog.example>"
    )
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.get_content_type() == "multipart/alternative"
    assert got.get_body(("plain",)).get_content() == "Bob replied:\n\nI agree.\n"
    assert "<blockquote>I agree.</blockquote>" in got.get_body(("html",)).get_content()


def test_plain_text_only_and_unicode(smtp):
    send(smtp.settings(), message(subject="Réponse à « Moteurs »", text="Grüße 🎉\n"))
    got = smtp.inbox.messages[0].message
    assert got.get_content_type() == "text/plain"
    assert got["Subject"] == "Réponse à « Moteurs »"
    assert got.get_content() == "Grüße 🎉\n"
    assert "List-Unsubscribe" not in got


def test_one_click_only_with_https():
    local = message(unsubscribe_url="http://localhost:8000/v1/unsubscribe?t=1")
    assert local["List-Unsubscribe"] == "<http://localhost:8000/v1/unsubscribe?t=1>"
    assert "List-Unsubscribe-Post" not in local  # RFC 8058 requires https
    with pytest.raises(ValueError):
        message(unsubscribe_url="javascript:alert(1)")


def test_header_injection_is_impossible():
    assert message(subject="Hello\r\nBcc: victim@example.com")["Subject"] == (
        "Hello Bcc: victim@example.com"
    )
    assert "Bcc" not in message(subject="Hello\r\nBcc: victim@example.com")
    with pytest.raises(ValueError):
        message(to="reader@example.com\r\nBcc: victim@example.com")
    with pytest.raises(ValueError):
        message(headers={"X-Thread": "a\nBcc: victim@example.com"})
    with pytest.raises(ValueError):
        message(to="not an address")


def test_each_message_has_its_own_id():
    assert message()["Message-ID"] != message()["Message-ID"]


# --- sessions, security, login ----------------------------------------------------------


def test_several_messages_through_one_session(smtp):
    with smtp_session(smtp.settings()) as session:
        for n in range(3):
            session.send(message(to=f"reader{n}@example.com"))
    assert [m.rcpt_tos for m in smtp.inbox.messages] == [
        ["reader0@example.com"],
        ["reader1@example.com"],
        ["reader2@example.com"],
    ]


def test_starttls_with_login(tls_files):
    for server in _serve(
        tls_context=server_context(tls_files),
        require_starttls=True,
        authenticator=accept_only("blog", "s3cret"),
        auth_required=True,
    ):
        settings = server.settings(
            security="starttls",
            user="blog",
            password="s3cret",
            ssl_context=client_context(tls_files),
        )
        send(settings, message())
        assert len(server.inbox.messages) == 1
        assert "s3cret" not in repr(settings)

        wrong = server.settings(
            security="starttls", user="blog", password="nope", ssl_context=client_context(tls_files)
        )
        with pytest.raises(PermanentMailError) as caught:
            send(wrong, message())
        assert caught.value.code == 535
        assert len(server.inbox.messages) == 1


def test_starttls_required_but_not_offered_sends_nothing(smtp):
    with pytest.raises(PermanentMailError, match="STARTTLS"):
        send(smtp.settings(security="starttls"), message())
    assert smtp.inbox.messages == []


def test_an_untrusted_certificate_is_refused(tls_files):
    for server in _serve(tls_context=server_context(tls_files), require_starttls=True):
        # The default context trusts the system's CAs, not our self-signed certificate.
        with pytest.raises(PermanentMailError, match="certificate"):
            send(server.settings(security="starttls"), message())
        assert server.inbox.messages == []


def test_implicit_tls(tls_files):
    for server in _serve(ssl_context=server_context(tls_files)):
        send(server.settings(security="tls", ssl_context=client_context(tls_files)), message())
        assert len(server.inbox.messages) == 1


# --- failures ---------------------------------------------------------------------------


def test_server_down_is_temporary():
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), security="none", timeout=2.0)
    with pytest.raises(TemporaryMailError, match="refused"):
        send(settings, message())


def test_a_4xx_refusal_is_temporary_and_a_5xx_permanent(smtp):
    with pytest.raises(TemporaryMailError) as busy:
        send(smtp.settings(), message(to="busy@example.com"))
    assert busy.value.code == 451 and busy.value.temporary
    with pytest.raises(PermanentMailError) as nobody:
        send(smtp.settings(), message(to="nobody@example.com"))
    assert nobody.value.code == 550 and not nobody.value.temporary
    assert "No such user" in str(nobody.value)
    assert smtp.inbox.messages == []


def test_a_refused_message_does_not_end_the_session(smtp):
    with smtp_session(smtp.settings()) as session:
        with pytest.raises(PermanentMailError):
            session.send(message(to="nobody@example.com"))
        session.send(message(to="reader@example.com"))
    assert [m.rcpt_tos for m in smtp.inbox.messages] == [["reader@example.com"]]


# --- settings ---------------------------------------------------------------------------


def test_mail_is_off_by_default_and_configured_from_the_environment():
    assert smtp_settings(load_settings(environ={})) is None
    configured = load_settings(
        environ={
            "MARGINALIA_SMTP_HOST": "smtp.example",
            "MARGINALIA_SMTP_PORT": "465",
            "MARGINALIA_SMTP_SECURITY": "tls",
            "MARGINALIA_SMTP_USER": "blog",
            "MARGINALIA_SMTP_PASSWORD": "s3cret",
            "MARGINALIA_MAIL_FROM": "Blog <noreply@blog.example>",
        }
    )
    assert smtp_settings(configured) == SmtpSettings(
        host="smtp.example",
        port=465,
        security="tls",
        user="blog",
        password="s3cret",
        from_address="Blog <noreply@blog.example>",
    )
    assert "s3cret" not in repr(configured)


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"MARGINALIA_SMTP_SECURITY": "ssl"}, "SMTP_SECURITY"),
        ({"MARGINALIA_SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({"MARGINALIA_SMTP_HOST": "smtp.example"}, "MAIL_FROM"),
        ({"MARGINALIA_COMMENT_TOKEN_INVALID": "drop"}, "COMMENT_TOKEN_INVALID"),
        ({"MARGINALIA_COMMENT_TOKEN_MAX_AGE": "2"}, "COMMENT_TOKEN_MAX_AGE"),
        ({"MARGINALIA_AKISMET_URL": "ftp://x"}, "AKISMET_URL"),
        ({"MARGINALIA_AKISMET_TIMEOUT": "0"}, "AKISMET_TIMEOUT"),
        ({"MARGINALIA_WEBSUB_HUB_URL": "hub.example"}, "WEBSUB_HUB_URL"),
    ],
)
def test_bad_settings_fail_at_start_naming_the_setting(environ, name):
    with pytest.raises(ConfigError, match=name):
        load_settings(environ=environ)


def test_spam_defence_defaults_are_safe():
    settings = load_settings(environ={})
    assert settings.akismet_key == "" and settings.websub_hub_url == ""
    assert settings.blocklist_shadow is False
    assert settings.comment_token_invalid == "hold"  # never loses a comment
    assert (settings.comment_token_min_seconds, settings.comment_token_max_age) == (3, 86400)
