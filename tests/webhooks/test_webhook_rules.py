"""Pure rules: secrets, signatures, and what each answer means (no app needed)."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from api.webhooks import crypto
from api.webhooks.retry import Result, judge, next_delay, retry_after_seconds

SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


def test_secrets_are_standard_webhooks_secrets_of_32_random_bytes():
    first, second = crypto.generate_secret(), crypto.generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_a_sealed_secret_needs_the_secret_key_to_be_read():
    secret = crypto.generate_secret()
    sealed = crypto.seal(secret, "app-secret-key")
    assert secret not in sealed and secret.removeprefix("whsec_") not in sealed
    assert crypto.unseal(sealed, "app-secret-key") == secret
    with pytest.raises(crypto.SecretUnreadable):
        crypto.unseal(sealed, "another-key")


def test_signatures_verify_with_the_standardwebhooks_library():
    old, new = crypto.generate_secret(), crypto.generate_secret()
    body = '{"type":"post.published","data":{"title":"Café"}}'.encode()
    timestamp = int(datetime.now(UTC).timestamp())
    keys = [crypto.signing_key(new), crypto.signing_key(old)]
    headers = {
        "webhook-id": "42",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": crypto.signature_header(keys, "42", timestamp, body),
    }
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["data"]["title"] == "Café"
    tampered = {**headers, "webhook-id": "43"}
    with pytest.raises(Exception, match="signature"):
        Webhook(new).verify(body, tampered)


@pytest.mark.parametrize("code", [200, 201, 204, 299])
def test_only_2xx_is_delivered(code):
    assert judge(Result(code), 0, SCHEDULE).delivered


@pytest.mark.parametrize("code", [100, 301, 302, 304, 400, 404, 500])
def test_everything_else_is_retried(code):
    verdict = judge(Result(code, location="/elsewhere"), 0, SCHEDULE)
    assert not verdict.delivered and verdict.delay is not None
    assert verdict.disable_endpoint is None and verdict.endpoint_backoff is None
    assert f"HTTP {code}" in verdict.error


def test_a_redirect_is_a_failure_that_names_where_it_pointed():
    verdict = judge(Result(302, location="https://elsewhere.example/"), 0, SCHEDULE)
    assert "not followed" in verdict.error and "elsewhere.example" in verdict.error


def test_gone_disables_the_endpoint_without_retrying():
    verdict = judge(Result(410), 0, SCHEDULE)
    assert not verdict.delivered and verdict.delay is None
    assert "410" in verdict.disable_endpoint


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_is_honoured_and_holds_the_endpoint(code):
    verdict = judge(Result(code, retry_after="120"), 0, SCHEDULE)
    assert verdict.delay == 120 and verdict.endpoint_backoff == 120


def test_retry_after_without_a_usable_value_falls_back_to_the_schedule():
    verdict = judge(Result(503, retry_after="soon"), 0, SCHEDULE)
    assert 4.5 <= verdict.delay <= 5.5 and verdict.endpoint_backoff is None


def test_no_answer_holds_the_whole_endpoint_until_the_retry():
    verdict = judge(Result(None, error="connect: refused"), 2, SCHEDULE)
    assert verdict.error == "connect: refused"
    assert 1620 <= verdict.delay <= 1980 and verdict.endpoint_backoff == verdict.delay


def test_the_schedule_is_the_standard_webhooks_one_with_jitter_then_failed():
    rng = random.Random(7)
    delays = [next_delay(step, SCHEDULE, rng) for step in range(len(SCHEDULE))]
    assert delays[-1] is None  # the eighth attempt was the last
    for delay, base in zip(delays[:-1], SCHEDULE[1:], strict=True):
        assert base * 0.9 <= delay <= base * 1.1
    assert judge(Result(500), len(SCHEDULE) - 1, SCHEDULE).delay is None


def test_retry_after_accepts_seconds_and_http_dates_and_is_capped():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("30", cap=100) == 30
    assert retry_after_seconds("999999", cap=100) == 100
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later, cap=1000, now=now) == 90
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(earlier, cap=1000, now=now) == 0
    assert retry_after_seconds("tomorrow-ish", cap=100) is None
    assert retry_after_seconds(None, cap=100) is None
