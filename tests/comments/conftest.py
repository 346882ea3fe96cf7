"""Fixtures for the comments area: posts to comment on, settings, and a real OIDC issuer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from api.comments import status as comments
from api.comments.models import Comment
from api.events import catalogue as events
from api.infra.database import db
from api.infra.unit_of_work import unit_of_work
from tests.comments.helpers import Issuer, new_ip


@pytest.fixture
def post(publish) -> dict:
    return publish("Open for comments")


@pytest.fixture
def submit(client) -> Callable[..., object]:
    """POST a comment; anonymous with a name and email unless told otherwise."""

    def send(slug: str, body: str = "A thoughtful remark.", *, ip=None, headers=None, **fields):
        payload = {"author_name": "Reader", "author_email": "reader@example.org", **fields}
        payload["body"] = body
        payload = {key: value for key, value in payload.items() if value is not ...}
        return client.post(
            f"/v1/posts/{slug}/comments",
            json=payload,
            headers=headers or {},
            environ_base={"REMOTE_ADDR": ip or new_ip()},
        )

    return send


@pytest.fixture
def discussion(client, admin) -> Callable[..., dict]:
    """Change discussion settings through the API."""

    def change(**values) -> dict:
        response = client.patch("/v1/settings/discussion", json=values, headers=admin)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return change


@pytest.fixture
def stored(app) -> Callable[[int], Comment]:
    """A comment as the database holds it (private fields included)."""

    def load(comment_id: int) -> Comment:
        with app.app_context():
            comment = db.session.get(Comment, comment_id)
            db.session.expunge(comment)
            db.session.remove()
        return comment

    return load


@pytest.fixture
def approve(app) -> Callable[[int], None]:
    """Approve a comment directly in the database (the moderation queue comes later)."""

    def set_approved(comment_id: int) -> None:
        with app.app_context():
            with unit_of_work():
                comment = comments.lock(comment_id)
                comments.move([comment], "approved", events.COMMENT_APPROVED, {})
            db.session.remove()

    return set_approved


@pytest.fixture
def all_comments(app) -> Callable[[], list[Comment]]:
    def load() -> list[Comment]:
        with app.app_context():
            rows = list(db.session.scalars(select(Comment).order_by(Comment.id)))
            for row in rows:
                db.session.expunge(row)
            db.session.remove()
        return rows

    return load


def _drop_verifiers(app) -> None:
    """Forget cached issuer keys: each test's issuer starts from an empty cache (a port,
    hence an issuer URL, may be reused by a later test)."""
    for verifier in app.extensions.pop("marginalia.oidc", {}).values():
        verifier.client.close()


@pytest.fixture
def issuer(app, monkeypatch) -> Iterator[Issuer]:
    """A running issuer the app trusts (loopback allowed, as in local development)."""
    _drop_verifiers(app)
    running = Issuer()
    running.thread.start()
    settings = app.config["MARGINALIA"]
    monkeypatch.setitem(
        app.config,
        "MARGINALIA",
        replace(settings, oidc_issuers=(running.url,), allow_private_targets=True),
    )
    yield running
    _drop_verifiers(app)
    running.server.shutdown()
    running.server.server_close()
