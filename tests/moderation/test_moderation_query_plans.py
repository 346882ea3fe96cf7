"""Every read of the queue and the log is answered through an index (the real queries,
explained with their own parameters; see tests/integration/test_query_plans.py)."""

import re

import pytest

from tests.integration.test_query_plans import plan_of, recorded_statements
from tests.moderation.helpers import decide

TABLES = "comments|moderation_log|comment_status_counts"
SEQ_SCAN = re.compile(rf"Seq Scan on ({TABLES})\b")
SQLITE_SCAN = re.compile(rf"^SCAN ({TABLES})\b(?!.*USING (COVERING )?INDEX)")

READS = {
    "queue": "/v1/moderation/comments",
    "queue, next page": "{next}",
    "queue, previous page": "{prev}",
    "queue, counted": "/v1/moderation/comments?count=true",
    "queue of a post, counted": "/v1/moderation/comments?post={slug}&count=true",
    "queue, newest first": "/v1/moderation/comments?order=newest&limit=1",
    "queue of a post": "/v1/moderation/comments?post={slug}",
    "queue by type and age": "/v1/moderation/comments?type=comment&after=2000-01-01T00:00:00Z",
    "spam": "/v1/moderation/comments?status=spam",
    "one comment": "/v1/moderation/comments/{id}",
    "log": "/v1/moderation/log",
    "log, counted": "/v1/moderation/log?comment_id={id}&count=true",
    "log of a comment": "/v1/moderation/log?comment_id={id}",
    "log of a moderator": "/v1/moderation/log?actor=Mo",
    "log of a batch": "/v1/moderation/log?batch_id=abc",
}


@pytest.fixture
def queue(client, moderator, pending, post):
    ids = pending(3)
    decide(client, moderator, ids[0], "spam")
    page = client.get("/v1/moderation/comments?limit=1", headers=moderator).get_json()
    prev = client.get(page["next"], headers=moderator).get_json()["prev"]
    return {"next": page["next"], "prev": prev, "slug": post["slug"], "id": ids[1]}


@pytest.mark.parametrize("name", READS)
def test_queue_reads_use_indexes(app, client, moderator, queue, name):
    with recorded_statements(app) as statements:
        response = client.get(READS[name].format(**queue), headers=moderator)
    assert response.status_code == 200, response.get_json()
    for statement, parameters in statements:
        lines = plan_of(app, statement, parameters)
        scans = [line for line in lines if SEQ_SCAN.search(line) or SQLITE_SCAN.search(line)]
        if name == "log" and "WHERE" not in statement and "TEMP B-TREE" not in str(lines):
            scans = []  # SQLite's word for walking the rowid backwards, LIMIT rows, no sort
        assert not scans, f"{name}:\n{statement}\n" + "\n".join(lines)
