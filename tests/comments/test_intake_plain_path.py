"""The hot comment POST skips the generic decorator stack for a plain JSON submission
(api/comments/routes.py `plain_submissions_first`): it must answer exactly as the
documented stack (webargs + flask-smorest) does, for good and bad requests alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from api.comments import routes
from api.comments.schemas import SubmittedCommentSchema
from api.comments.views import own_comment_view
from api.web.fields import rfc3339
from tests.comments.helpers import new_ip

# (content type, raw body): what a client might send, plain or not.
REQUESTS = {
    "plain": ("application/json", {"body": "Plain.", "author_name": "A", "author_email": "a@x.io"}),
    "with url and charset": (
        "application/json; charset=utf-8",
        {"body": "Hi", "author_name": "A", "author_email": "a@x.io", "author_url": "https://a.io"},
    ),
    "missing body": ("application/json", {"author_name": "A", "author_email": "a@x.io"}),
    "unknown field": ("application/json", {"body": "x", "author_name": "A", "bogus": 1}),
    "bad email": ("application/json", {"body": "x", "author_name": "A", "author_email": "no"}),
    "parent as string": ("application/json", {"body": "x", "author_name": "A", "parent_id": "1"}),
    "control character": ("application/json", {"body": "bell \x07", "author_name": "A"}),
    "not an object": ("application/json", ["body"]),
    "bad JSON": ("application/json", "{nope"),
    "empty": ("application/json", ""),
    "not JSON": ("text/plain", "body=hello"),
    "deeply nested": ("application/json", "[" * 100_000 + "]" * 100_000),
    "blank text": (
        "application/json",
        {"body": "   ", "author_name": "A", "author_email": "a@x.io"},
    ),
}
VARYING = {"id", "created_at", "updated_at", "edit_token", "editable_until", "request_id"}


def _send(client, slug: str, content_type: str, body, n: int):
    raw = body if isinstance(body, str) else json.dumps(body)
    # The same text from a new author and address each time: no flood, no duplicate.
    raw = raw.replace("a@x.io", f"a{n}@x.io")
    return client.post(
        f"/v1/posts/{slug}/comments",
        data=raw.encode(),
        headers={"Content-Type": content_type},
        environ_base={"REMOTE_ADDR": new_ip()},
    )


def _answer(response) -> tuple:
    body = response.get_json(silent=True)
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key not in VARYING}
    headers = {
        name: value
        for name, value in response.headers.items()
        # RateLimit: the post's remaining quota goes down by one between the two requests;
        # X-RateLimit-Reset is a clock time, one second on when the two straddle a second.
        if name
        not in (
            "Location",
            "X-Request-ID",
            "Content-Length",
            "Date",
            "RateLimit",
            "X-RateLimit-Reset",
        )
    }
    return response.status_code, response.mimetype, body, headers


@pytest.mark.parametrize("case", list(REQUESTS))
def test_plain_path_answers_as_the_documented_stack(client, post, monkeypatch, case):
    content_type, body = REQUESTS[case]
    plain = _send(client, post["slug"], content_type, body, 1)
    monkeypatch.setattr(routes, "plain_json_body", lambda schema: None)  # documented only
    documented = _send(client, post["slug"], content_type, body, 2)
    assert _answer(plain) == _answer(documented)
    # Both counted by the same rate limits: the post's counts only comments it took
    # (junk does not close a thread to everyone), so one less left after each 202.
    assert plain.status_code in (202, 400, 422), plain.get_json()
    left = (29, 28) if plain.status_code == 202 else (30, 30)
    assert f'"post-60s";r={left[0]}' in plain.headers["RateLimit"]
    assert f'"post-60s";r={left[1]}' in documented.headers["RateLimit"]


def test_plain_submission_is_stored_as_through_the_documented_stack(client, post, stored):
    content_type, body = REQUESTS["with url and charset"]
    response = _send(client, post["slug"], content_type, body, 3)
    assert response.status_code == 202
    comment = stored(response.get_json()["id"])
    assert (comment.body, comment.author_name, comment.author_url) == ("Hi", "A", "https://a.io")
    assert response.headers["Location"] == f"/v1/comments/{comment.id}"


@pytest.mark.parametrize("status", ["approved", "pending", "spam"])
@pytest.mark.parametrize("extras", [{}, {"author_url": "https://a.io", "parent_id": 7}])
def test_the_answer_is_the_submitted_comment_schema_by_hand(status, extras):
    created = datetime(2026, 11, 30, 4, 5, 6, 789, tzinfo=UTC)
    comment = SimpleNamespace(
        **{
            "id": 41,
            "type": "comment",
            "status": status,
            "body": "*Hi*",
            "body_html": "<p><em>Hi</em></p>",
            "author_name": "A",
            "author_url": None,
            "parent_id": None,
            "created_at": created,
            "updated_at": created,
            **extras,
        }
    )
    receipt = SimpleNamespace(
        **vars(comment), edit_token="mglc_x", editable_until=created + timedelta(minutes=15)
    )
    by_hand = own_comment_view(comment)
    by_hand["edit_token"] = receipt.edit_token
    by_hand["editable_until"] = rfc3339(receipt.editable_until)
    dumped = SubmittedCommentSchema().dump(receipt)
    assert json.dumps(by_hand) == json.dumps(dumped)  # same keys, order and values


def test_the_receipt_row_has_every_column_of_a_comment():
    """The 202 answer is dumped from the row as inserted: a column missing from it would
    be missing from the answer, which generated clients require field by field."""
    from api.comments.intake import _NEW_COMMENT
    from api.comments.models import Comment

    set_from_submission = {
        "post_id", "parent_id", "thread_id", "depth", "status", "body", "body_html",
        "author_name", "author_email", "author_url", "identity_issuer", "identity_subject",
        "author_key", "ip_address", "user_agent", "reasons", "edit_token_hash",
        "created_at", "updated_at", "id",
    }  # fmt: skip
    assert set(Comment.__table__.columns.keys()) <= set(_NEW_COMMENT) | set_from_submission
