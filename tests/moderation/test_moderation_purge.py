"""Purge: spam after 15 days, trash after 30 (settings), logged, by the worker and the CLI."""

from datetime import datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import update

from api.comments.models import Comment
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.moderation import purge
from tests.moderation.helpers import decide


def age(in_app, comment_ids, days):
    def run():
        db.session.execute(
            update(Comment)
            .where(Comment.id.in_(comment_ids))
            .values(updated_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()

    in_app(run)


def test_spam_and_trash_go_after_their_days_and_stay_in_the_log(
    app, client, moderator, bulk_pending, in_app, counts_agree
):
    old_spam, new_spam, old_trash, mid_trash, old_pending = bulk_pending(5)
    for comment_id, status in (
        (old_spam, "spam"),
        (new_spam, "spam"),
        (old_trash, "trash"),
        (mid_trash, "trash"),
    ):
        decide(client, moderator, comment_id, status)
    age(in_app, [old_spam, old_pending, mid_trash], 16)
    age(in_app, [old_trash], 31)

    settings = app.config["MARGINALIA"]
    assert in_app(purge.due, settings) == 2
    assert in_app(purge.purge, settings) == 2
    left = client.get("/v1/moderation/counts", headers=moderator).get_json()
    assert left == {"pending": 1, "approved": 0, "spam": 1, "trash": 1}
    counts_agree()
    for gone in (old_spam, old_trash):
        assert client.get(f"/v1/moderation/comments/{gone}", headers=moderator).status_code == 404
        log = client.get(f"/v1/moderation/log?comment_id={gone}", headers=moderator).get_json()
        newest, decided = log["items"]
        assert newest["to_status"] == "purged"
        assert newest["actor"] == {"token_id": None, "name": "purge", "role": "system"}
        assert decided["actor"]["name"] == "Mo"


def test_the_purge_days_are_discussion_settings(
    app, client, admin, moderator, bulk_pending, in_app
):
    [spam] = bulk_pending(1)
    decide(client, moderator, spam, "spam")
    age(in_app, [spam], 3)
    assert in_app(purge.purge, app.config["MARGINALIA"]) == 0
    client.patch("/v1/settings/discussion", json={"purge_spam_days": 2}, headers=admin)
    assert in_app(purge.purge, app.config["MARGINALIA"]) == 1


def test_a_purged_parent_leaves_its_replies(app, client, moderator, comment, in_app):
    parent = comment("Parent.")
    decide(client, moderator, parent["id"], "approved")
    reply = comment("Reply.", parent_id=parent["id"])
    decide(client, moderator, parent["id"], "trash")
    age(in_app, [parent["id"]], 31)
    assert in_app(purge.purge, app.config["MARGINALIA"]) == 1
    item = client.get(f"/v1/moderation/comments/{reply['id']}", headers=moderator).get_json()
    assert item["parent_id"] is None and item["parent"] is None


def test_the_worker_task_and_the_command_purge(app, client, moderator, bulk_pending, in_app):
    from api.cli import cli
    from api.infra.queue import huey
    from api.moderation.tasks import purge_spam_and_trash

    first, second = bulk_pending(2)
    decide(client, moderator, first, "trash")
    decide(client, moderator, second, "trash")
    age(in_app, [first, second], 40)
    hourly = {task.name for task in huey.read_periodic(datetime(2026, 1, 1, 9, 17))}
    assert "purge_spam_and_trash" in hourly  # registered with the worker, hourly at :17
    assert "purge_spam_and_trash" not in {
        t.name for t in huey.read_periodic(datetime(2026, 1, 1, 9, 18))
    }

    result = CliRunner().invoke(cli, ["purge"], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "Purged 2 comments" in result.output
    assert purge_spam_and_trash.call_local() == 0


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
