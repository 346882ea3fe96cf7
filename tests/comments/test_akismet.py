"""The Akismet client against a local server speaking the documented protocol: every
answer maps to the verdict the intake needs, and every failure (down, slow, bad key,
nonsense) is `unavailable`, never an exception and never a lost comment."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import pytest

from api.comments.akismet import (
    AkismetClient,
    CommentFields,
    KeyStatus,
    SubmitResult,
    Verdict,
)
from tests.comments.fake_akismet import VALID_KEY, FakeAkismet

BLOG = "https://blog.example/"
SLOW_TIMEOUT = 0.5  # the client's limit in the slow-service test; the server waits 30 s


@pytest.fixture
def akismet():
    server = FakeAkismet().start()
    yield server
    server.stop()


@pytest.fixture
def client(akismet):
    with AkismetClient(VALID_KEY, BLOG, service_url=akismet.url, allow_private=True) as c:
        yield c


def comment(**overrides) -> CommentFields:
    values = {
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 Firefox/135.0",
        "referrer": "https://blog.example/posts/hello/",
        "permalink": "https://blog.example/posts/hello/",
        "comment_author": "Ada",
        "comment_author_email": "ada@example.com",
        "comment_author_url": "https://ada.example/",
        "comment_content": "Thoughtful remark about the post.",
        "comment_date_gmt": datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC),
        "blog_lang": "en, fr_ca",
    }
    return CommentFields(**{**values, **overrides})


def test_ham(client, akismet):
    result = client.comment_check(comment())
    assert result.verdict is Verdict.HAM
    assert result.reason == "Akismet: not spam."


def test_the_documented_fields_are_sent(client, akismet):
    client.comment_check(comment(is_test=True, user_role="subscriber"))
    call = akismet.calls[-1]
    assert call.path == "/1.1/comment-check"
    assert call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert " | " in call.headers["User-Agent"]
    assert call.form == {
        "api_key": VALID_KEY,
        "blog": BLOG,
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 Firefox/135.0",
        "referrer": "https://blog.example/posts/hello/",
        "permalink": "https://blog.example/posts/hello/",
        "comment_type": "comment",
        "comment_author": "Ada",
        "comment_author_email": "ada@example.com",
        "comment_author_url": "https://ada.example/",
        "comment_content": "Thoughtful remark about the post.",
        "comment_date_gmt": "2025-03-01T12:30:05Z",
        "blog_lang": "en, fr_ca",
        "blog_charset": "UTF-8",
        "user_role": "subscriber",
        "is_test": "1",
    }


def test_spam(client):
    result = client.comment_check(comment(comment_author="viagra-test-123"))
    assert result.verdict is Verdict.SPAM
    assert "spam" in result.reason


def test_discard_is_spam_with_the_pro_tip(client):
    result = client.comment_check(comment(comment_content="blatant-spam everywhere"))
    assert result.verdict is Verdict.DISCARD
    assert "discard" in result.reason


def test_invalid_key_is_unavailable_with_the_debug_help(akismet, caplog):
    with (
        AkismetClient("wrongkey", BLOG, service_url=akismet.url, allow_private=True) as c,
        caplog.at_level(logging.WARNING, logger="api.comments.akismet"),
    ):
        result = c.comment_check(comment(comment_author="viagra-test-123"))
    assert result.verdict is Verdict.UNAVAILABLE
    assert "invalid API key" in result.reason and "moderator" in result.reason
    assert result.debug_help == "We were unable to parse your key."
    assert "wrongkey" not in caplog.text


def test_an_error_text_instead_of_an_answer_is_unavailable(client):
    result = client.comment_check(comment(user_ip=""))
    assert result.verdict is Verdict.UNAVAILABLE
    assert "Missing required field" in result.reason
    assert result.debug_help == "Empty 'user_ip' value"


@pytest.mark.parametrize(
    "override",
    [
        (500, "true", {}),  # a spam-looking body on an error status is not an answer
        (200, "maybe", {}),
        (200, "", {}),
        (302, "", {"Location": "http://127.0.0.1:9/elsewhere"}),
    ],
)
def test_anything_else_is_unavailable(client, akismet, override):
    akismet.override = override
    assert client.comment_check(comment()).verdict is Verdict.UNAVAILABLE
    assert len(akismet.calls) == 1  # a redirect is not followed


def test_slow_service_is_unavailable(akismet):
    akismet.delay = 30
    with AkismetClient(
        VALID_KEY, BLOG, service_url=akismet.url, allow_private=True, timeout=SLOW_TIMEOUT
    ) as c:
        result = c.comment_check(comment())
    assert result.verdict is Verdict.UNAVAILABLE
    assert "timeout" in result.reason


def test_service_down_is_unavailable():
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/1.1/"
    with AkismetClient(VALID_KEY, BLOG, service_url=url, allow_private=True) as c:
        result = c.comment_check(comment())
        assert c.submit_spam(comment()) is SubmitResult.UNAVAILABLE
        assert c.verify_key() is KeyStatus.UNAVAILABLE
    assert result.verdict is Verdict.UNAVAILABLE
    assert "connect" in result.reason


def test_private_addresses_are_refused_unless_allowed(akismet):
    with AkismetClient(VALID_KEY, BLOG, service_url=akismet.url) as c:
        result = c.comment_check(comment())
    assert result.verdict is Verdict.UNAVAILABLE
    assert "blocked_address" in result.reason
    assert akismet.calls == []


def test_submit_spam_and_ham(client, akismet):
    assert client.submit_spam(comment()) is SubmitResult.ACCEPTED
    assert client.submit_ham(comment()) is SubmitResult.ACCEPTED
    assert [c.path for c in akismet.calls] == ["/1.1/submit-spam", "/1.1/submit-ham"]
    assert akismet.calls[0].form["comment_content"] == "Thoughtful remark about the post."


def test_submit_with_an_invalid_key_is_not_worth_retrying(akismet):
    with AkismetClient("wrongkey", BLOG, service_url=akismet.url, allow_private=True) as c:
        assert c.submit_ham(comment()) is SubmitResult.INVALID_KEY
    akismet.override = (503, "busy", {})
    with AkismetClient(VALID_KEY, BLOG, service_url=akismet.url, allow_private=True) as c:
        assert c.submit_ham(comment()) is SubmitResult.UNAVAILABLE


def test_verify_key(akismet):
    for key, status in ((VALID_KEY, KeyStatus.VALID), ("wrongkey", KeyStatus.INVALID)):
        with AkismetClient(key, BLOG, service_url=akismet.url, allow_private=True) as c:
            assert c.verify_key() is status
    assert akismet.calls[0].form["blog"] == BLOG
    assert akismet.calls[0].form["key"] == VALID_KEY


def test_the_older_key_in_the_url_form(akismet):
    template = akismet.url.replace("/1.1/", "/{key}/1.1")
    with AkismetClient(VALID_KEY, BLOG, service_url=template, allow_private=True) as c:
        result = c.comment_check(comment(comment_author="viagra-test-123"))
    assert result.verdict is Verdict.SPAM
    assert akismet.calls[-1].path == f"/{VALID_KEY}/1.1/comment-check"


def test_alert_headers_reach_the_log(client, akismet, caplog):
    akismet.override = (
        200,
        "false",
        {"X-akismet-alert-code": "10001", "X-akismet-alert-msg": "Key over quota"},
    )
    with caplog.at_level(logging.WARNING, logger="api.comments.akismet"):
        assert client.comment_check(comment()).verdict is Verdict.HAM
    assert "10001" in caplog.text and "Key over quota" in caplog.text


@pytest.mark.parametrize(("key", "blog"), [("", BLOG), ("a.b/c", BLOG), (VALID_KEY, "blog")])
def test_bad_configuration_fails_at_construction(key, blog):
    with pytest.raises(ValueError):
        AkismetClient(key, blog)
