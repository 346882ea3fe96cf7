"""Fixtures for the moderation queue: moderators, pending comments, counts to check."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from api.comments import status_counts
from api.infra.database import db
from tests.comments.helpers import new_ip
from tests.conftest import bearer

_authors = itertools.count(1)


@pytest.fixture
def moderator(make_token) -> dict[str, str]:
    return bearer(make_token("moderator", name="Mo"))


@pytest.fixture
def other_moderator(make_token) -> dict[str, str]:
    return bearer(make_token("moderator", name="Nia"))


@pytest.fixture
def post(publish) -> dict:
    return publish("Open for comments")


@pytest.fixture
def comment(client, post) -> Callable[..., dict]:
    """Submit a comment as a new reader (so it waits for a moderator): its public view."""

    def submit(body: str = "A first remark.", *, slug: str | None = None, **fields) -> dict:
        n = next(_authors)
        payload = {
            "author_name": f"Reader {n}",
            "author_email": f"reader{n}@example.org",
            "body": body,
            **fields,
        }
        response = client.post(
            f"/v1/posts/{slug or post['slug']}/comments",
            json=payload,
            environ_base={"REMOTE_ADDR": new_ip()},
            headers={"User-Agent": "TestBrowser/1.0"},
        )
        assert response.status_code == 202, response.get_json()
        return response.get_json()

    return submit


@pytest.fixture
def pending(comment) -> Callable[[int], list[int]]:
    def make(n: int) -> list[int]:
        ids = []
        for i in range(n):
            created = comment(f"Remark number {i}.")
            assert created["status"] == "pending"
            ids.append(created["id"])
        return ids

    return make


@pytest.fixture
def counts_agree(in_app) -> Callable[[], dict]:
    """The kept counts, asserted equal to a fresh GROUP BY."""

    def check() -> dict:
        kept = in_app(status_counts.current)
        assert kept == in_app(status_counts.counted_afresh)
        return kept

    return check


@pytest.fixture
def stored_ip(in_app) -> Callable[[int], str]:
    from api.comments.models import Comment

    return lambda comment_id: in_app(lambda: db.session.get(Comment, comment_id).ip_address)


@pytest.fixture
def bulk_pending(in_unit_of_work, post) -> Callable[[int], list[int]]:
    """Many pending comments at once, as an import makes them (no rate limits)."""
    from api.comments.services import import_comment
    from api.infra.timestamps import utcnow

    def make(n: int, *, status: str = "pending", post_id: int | None = None) -> list[int]:
        def create():
            return [
                import_comment(
                    post_id=post_id or post["id"],
                    body=f"Imported {i}.",
                    author_name=f"Importee {i}",
                    author_email=f"importee{i}@example.org",
                    status=status,
                    created_at=utcnow(),
                ).id
                for i in range(n)
            ]

        return in_unit_of_work(create)

    return make
