"""Comment-form tokens: a human's comment passes, a bot's (too fast, replayed late,
forged, for another post or another browser, or without a token) is told apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.comments.form_tokens import FormTokens, TokenVerdict, client_hint

SECRET = "app-secret-for-tests"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BROWSER = client_hint("Mozilla/5.0 (X11; Linux x86_64) Firefox/135.0")
tokens = FormTokens(SECRET)


def after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_human_filling_the_form_passes():
    token = tokens.issue(42, BROWSER, T0)
    assert tokens.check(token, 42, BROWSER, after(40)) is TokenVerdict.OK


def test_the_token_is_url_safe_and_unique_per_issue():
    first, second = tokens.issue(42, BROWSER, T0), tokens.issue(42, BROWSER, T0)
    assert first != second
    assert re.fullmatch(r"[A-Za-z0-9._-]+", first)


def test_minimum_fill_time():
    token = tokens.issue(42, BROWSER, T0)
    assert tokens.check(token, 42, BROWSER, after(2.9)) is TokenVerdict.TOO_FAST
    assert tokens.check(token, 42, BROWSER, after(3.0)) is TokenVerdict.OK
    assert tokens.check(token, 42, BROWSER, after(0.5), min_fill_seconds=0) is TokenVerdict.OK
    # Issued "in the future" by a server whose clock runs ahead: not a pass.
    assert tokens.check(token, 42, BROWSER, after(-60)) is TokenVerdict.TOO_FAST


def test_maximum_age():
    token = tokens.issue(42, BROWSER, T0)
    assert tokens.check(token, 42, BROWSER, after(3600), max_age=3600) is TokenVerdict.OK
    assert tokens.check(token, 42, BROWSER, after(3601), max_age=3600) is TokenVerdict.TOO_OLD
    assert tokens.check(token, 42, BROWSER, after(86401)) is TokenVerdict.TOO_OLD


@pytest.mark.parametrize("token", [None, ""])
def test_missing(token):
    assert tokens.check(token, 42, BROWSER, after(10)) is TokenVerdict.MISSING


def test_a_token_is_bound_to_its_post_its_client_and_our_secret():
    token = tokens.issue(42, BROWSER, T0)
    assert tokens.check(token, 43, BROWSER, after(10)) is TokenVerdict.FORGED
    assert tokens.check(token, 42, client_hint("curl/8.5"), after(10)) is TokenVerdict.FORGED
    other_site = FormTokens("another-secret")
    assert other_site.check(token, 42, BROWSER, after(10)) is TokenVerdict.FORGED


def test_a_tampered_issue_time_is_forged():
    token = tokens.issue(42, BROWSER, T0)
    older = tokens.issue(42, BROWSER, T0 - timedelta(hours=1))
    # Graft the older payload (it would pass the fill time at once) onto the newer MAC.
    version, _, mac = token.split(".")
    grafted = f"{version}.{older.split('.')[1]}.{mac}"
    assert tokens.check(grafted, 42, BROWSER, after(1)) is TokenVerdict.FORGED


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "1.AAAA",
        "2.AAAAAAAAAAAAAAAAAAAAAA.AAAA",
        "1.!!!!.????",
        "1.AAAAAAAAAAAAAAAAAAAAAA.A",
        "1." + "A" * 300 + ".AAAA",
        "1.ÄÄÄÄ.ÖÖÖÖ",
    ],
)
def test_malformed_tokens_are_forged_not_errors(token):
    assert tokens.check(token, 42, BROWSER, after(10)) is TokenVerdict.FORGED


def test_stray_characters_do_not_make_a_second_valid_spelling():
    token = tokens.issue(42, BROWSER, T0)
    version, payload, mac = token.split(".")
    assert tokens.check(f"{version}.{payload}.{mac[:5]}=={mac[5:]}", 42, BROWSER, after(10)) == (
        TokenVerdict.FORGED
    )


@given(st.text(max_size=120))
def test_any_string_is_judged_without_an_exception(token):
    assert tokens.check(token, 42, BROWSER, after(10)) in set(TokenVerdict)


def test_the_secret_is_required():
    with pytest.raises(ValueError):
        FormTokens("")


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        tokens.issue(42, BROWSER, datetime(2025, 3, 1, 12, 0))
