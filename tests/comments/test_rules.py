"""The intake rules as pure functions: no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.comments import rules
from api.comments.discussion import DiscussionSettings
from api.rendering import render_comment

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DEFAULTS = DiscussionSettings()
READER = rules.Author(name="Reader", email="reader@example.org")


def case(body: str = "Hello.", **facts) -> rules.Case:
    facts.setdefault("author", READER)
    return rules.Case(body=body, body_html=render_comment(body), now=NOW, **facts)


def test_refusals_in_order_closed_then_flood_then_duplicate():
    history = rules.History(last_comment_at=NOW - timedelta(seconds=5), duplicate=True)
    closed = case(comments_open=False, history=history)
    assert rules.refusal(closed, DEFAULTS).rule == "comments_closed"
    flood = rules.refusal(case(history=history), DEFAULTS)
    assert (flood.rule, flood.http_status, flood.retry_after) == ("flood", 429, 10)
    later = rules.History(last_comment_at=NOW - timedelta(seconds=15), duplicate=True)
    assert rules.refusal(case(history=later), DEFAULTS).http_status == 409
    assert rules.refusal(case(), DEFAULTS) is None


def test_old_posts_close_only_when_the_setting_is_on():
    old = case(published_at=NOW - timedelta(days=15))
    assert rules.comments_closed(old, DEFAULTS) is None
    closing = DiscussionSettings(close_comments_for_old_posts=True)
    assert rules.comments_closed(old, closing).http_status == 403
    assert rules.comments_closed(case(published_at=NOW - timedelta(days=13)), closing) is None


def test_flood_interval_zero_is_off():
    recent = case(history=rules.History(last_comment_at=NOW))
    assert rules.flood(recent, DiscussionSettings(flood_interval=0)) is None


def test_strictest_verdict_wins_and_every_verdict_is_kept():
    settings = DiscussionSettings(disallowed_keys=("viagra",), moderation_keys=("casino",))
    known = rules.History(author_has_approved=True)
    spam = rules.judge(case("Casino viagra", history=known), settings)
    assert spam.status == "spam"
    assert spam.rules == ["disallowed_key", "moderation_key", "previously_approved"]
    assert rules.judge(case("Hi", history=known), settings).status == "approved"
    assert rules.judge(case("Hi"), settings).rules == ["new_author"]


def test_previously_approved_needs_an_email_or_identity():
    known = rules.History(author_has_approved=True)
    nameless = rules.Author(name="Reader")
    assert rules.judge(case(author=nameless, history=known), DEFAULTS).status == "pending"
    oidc = rules.Author(name="Ada", issuer="https://id.example", subject="42")
    assert rules.judge(case(author=oidc, history=known), DEFAULTS).status == "approved"


def test_author_keys_identify_the_same_author():
    assert READER.key == rules.Author(name="Other name", email=" READER@example.org ").key
    issuer = "https://id.example"
    one = rules.Author(name="Ada", email="a@example.org", issuer=issuer, subject="42")
    assert one.key == rules.Author(name="Ada L.", issuer=issuer, subject="42").key
    assert one.key != rules.Author(name="Ada", issuer=issuer + "/", subject="42").key
    assert one.key != READER.key and len(one.key) == 64


def test_counting_links():
    assert rules.count_links(render_comment("No links, just text.")) == 0
    markup = render_comment("[a](https://a.example) <https://b.example> and www.c.example/x")
    assert rules.count_links(markup) == 3
    assert rules.count_links(render_comment("[https://a.example](https://a.example)")) == 1


def test_keys_match_inside_words_case_insensitively_and_networks_match_addresses():
    settings = DiscussionSettings(moderation_keys=("press",))
    assert rules.moderation_key(case("I love WordPress"), settings).reason.startswith(
        "The comment text"
    )
    by_ip = DiscussionSettings(disallowed_keys=("2001:db8::/32", "192.0.2.0/24"))
    assert rules.disallowed_key(case(ip="2001:db8::1"), by_ip) is not None
    assert rules.disallowed_key(case(ip="192.0.2.200"), by_ip) is not None
    assert rules.disallowed_key(case(ip="192.0.3.1"), by_ip) is None
    agent = DiscussionSettings(disallowed_keys=("sqlmap",))
    assert "user agent" in rules.disallowed_key(case(user_agent="sqlmap/1.7"), agent).reason


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300), st.lists(st.text(min_size=1, max_size=10), max_size=5))
def test_judging_never_fails_and_always_gives_a_known_status(body, keys):
    tuning = DiscussionSettings(moderation_keys=tuple(keys), disallowed_keys=tuple(keys[:1]))
    decision = rules.judge(case(body, ip="203.0.113.9"), tuning)
    assert decision.status in ("approved", "pending", "spam")
    assert decision.verdicts[-1].rule in ("previously_approved", "new_author", "auto_approve")
