"""The allowed decisions, as a pure function (MODERATION_API.md)."""

import itertools

import pytest

from api.moderation.transitions import ALLOWED, EVENTS, refusal

STATUSES = ("pending", "approved", "spam", "trash")
EXPECTED = {
    ("pending", "approved"),
    ("pending", "spam"),
    ("pending", "trash"),
    ("approved", "pending"),
    ("approved", "spam"),
    ("approved", "trash"),
    ("spam", "pending"),
    ("spam", "trash"),
    ("trash", "pending"),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(STATUSES, STATUSES)))
def test_exactly_the_contracts_transitions_are_allowed(before, after):
    assert (refusal(before, after) is None) == ((before, after) in EXPECTED)


def test_refusals_say_why():
    assert refusal("spam", "approved") == (
        "A spam comment can only become pending or trash, not approved."
    )
    assert refusal("trash", "trash") == "The comment is already trash."
    assert refusal("pending", "deleted") == "Unknown status 'deleted'."


def test_every_status_a_decision_leads_to_has_its_event():
    assert set(EVENTS) == set(ALLOWED) == set(STATUSES)
    assert EVENTS["pending"].name == "comment.restored"
