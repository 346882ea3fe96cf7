"""No log line, at any level, holds a credential or a commenter's email: a full flow
(a comment with its edit token, moderation with a staff token, a webhook delivered to
a receiver whose URL carries a token in its path and its query) with every logger at
DEBUG, then the captured log is searched for each secret."""

from __future__ import annotations

import logging

import pytest

from api.webhooks.sender import close_thread_clients


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger and every logger that inherits it
    for name in ("httpx", "httpcore", "huey", "urllib3", "werkzeug"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_a_full_flow_logs_no_credential_and_no_email(
    client, admin, receiver, hook, publish, work, everything_logged
):
    path_secret, query_secret = "T0PATHSECRET9/B0PATHSECRET8", "QUERYSECRET7"
    url = f"http://127.0.0.1:{receiver.port}/services/{path_secret}?token={query_secret}"
    hook(url, ["comment.*"])
    post = publish("Logged")
    email = "private.reader@example.org"
    submitted = client.post(
        f"/v1/posts/{post['slug']}/comments",
        json={"author_name": "Reader", "author_email": email, "body": "Hello there, a remark."},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert submitted.status_code == 202, submitted.get_json()
    comment, edit_token = submitted.get_json(), submitted.get_json()["edit_token"]
    own = client.get(
        f"/v1/comments/{comment['id']}", headers={"Authorization": f"Bearer {edit_token}"}
    )
    assert own.status_code == 200
    decided = client.patch(
        f"/v1/moderation/comments/{comment['id']}", json={"status": "spam"}, headers=admin
    )
    assert decided.status_code == 200, decided.get_json()
    work()
    close_thread_clients()
    assert receiver.received, "the webhook was delivered"
    assert receiver.received[0].path.startswith("/services/")

    staff_token = admin["Authorization"].removeprefix("Bearer ")
    logged = "\n".join(
        [everything_logged.text]
        + [record.getMessage() for record in everything_logged.records]
        + [repr(getattr(record, "fields", "")) for record in everything_logged.records]
    )
    assert everything_logged.records, "nothing was logged at all: the test would prove nothing"
    for secret in (path_secret, "T0PATHSECRET9", query_secret, edit_token, staff_token, email):
        assert secret not in logged, f"{secret!r} is in the log"
