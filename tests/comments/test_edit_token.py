"""The private edit token: the commenter reads, edits and deletes within the edit window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.comments.helpers import bearer


def test_commenter_reads_edits_and_deletes_their_comment(
    client, post, submit, stored, events, approve, discussion
):
    discussion(flood_interval=0)
    approve(submit(post["slug"], "Known author.").get_json()["id"])
    created = submit(post["slug"], "Helo world.").get_json()
    assert created["status"] == "approved"
    token = bearer(created["edit_token"])
    url = f"/v1/comments/{created['id']}"

    own = client.get(url, headers=token)
    assert own.status_code == 200
    assert own.headers["Cache-Control"] == "private, no-store"
    assert own.get_json()["body"] == "Helo world."
    public = client.get(url)
    assert public.status_code == 200 and "body" not in public.get_json()

    edited = client.patch(url, json={"body": "Hello world."}, headers=token)
    assert edited.status_code == 200
    assert edited.get_json()["body_html"] == "<p>Hello world.</p>\n"
    assert [t for t, _ in events("comment.updated")] == ["comment.updated"]

    # An edit is judged again and never loosens: three links now hold it.
    links = "[a](https://a.example) [b](https://b.example) [c](https://c.example)"
    held = client.patch(url, json={"body": links}, headers=token)
    assert held.get_json()["status"] == "pending"
    assert stored(created["id"]).reasons[0]["rule"] == "too_many_links"
    assert client.get(url).status_code == 404  # no longer public
    assert client.get(f"/v1/posts/{post['slug']}").get_json()["comment_count"] == 1

    assert client.delete(url, headers=token).status_code == 204
    assert stored(created["id"]).status == "trash"
    assert client.get(url, headers=token).status_code == 404
    assert events("comment.trashed")[-1][1]["comment"]["id"] == created["id"]


def test_wrong_or_missing_token_is_401_and_the_window_closes(
    app, client, post, submit, monkeypatch
):
    created = submit(post["slug"], "Mine.").get_json()
    url = f"/v1/comments/{created['id']}"
    assert client.patch(url, json={"body": "x"}).status_code == 401
    wrong = client.patch(url, json={"body": "x"}, headers=bearer("mglc_guess"))
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.delete(url, headers=bearer("mglc_guess")).status_code == 401
    assert client.get(url, headers=bearer("mglc_guess")).status_code == 401
    assert client.get(url).status_code == 404  # pending: not public

    from api.comments import intake

    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr(intake, "utcnow", lambda: later)
    closed = client.patch(url, json={"body": "Too late."}, headers=bearer(created["edit_token"]))
    assert closed.status_code == 403
    assert "15 minutes" in closed.get_json()["detail"]
    assert client.delete(url, headers=bearer(created["edit_token"])).status_code == 403


def test_stale_if_match_is_412(client, post, submit):
    created = submit(post["slug"], "Version one.").get_json()
    url, token = f"/v1/comments/{created['id']}", bearer(created["edit_token"])
    etag = client.get(url, headers=token).headers["ETag"]
    assert (
        client.patch(url, json={"body": "Two."}, headers={**token, "If-Match": etag}).status_code
        == 200
    )
    stale = client.patch(url, json={"body": "Three."}, headers={**token, "If-Match": etag})
    assert stale.status_code == 412


def test_a_wrong_edit_token_tells_nothing_about_which_comments_exist(client, post, submit):
    pending = submit(post["slug"], "Waiting for a moderator.").get_json()
    guess = bearer("mglc_" + "x" * 40)
    for method in ("GET", "PATCH", "DELETE"):
        answers = []
        for comment_id in (pending["id"], pending["id"] + 1000):
            response = client.open(
                f"/v1/comments/{comment_id}",
                method=method,
                json={"body": "Mine now."},
                headers=guess,
            )
            body = response.get_json()
            body.pop("request_id", None)
            answers.append((response.status_code, body, response.headers.get("WWW-Authenticate")))
        assert answers[0] == answers[1], method
        assert answers[0][0] == 401
