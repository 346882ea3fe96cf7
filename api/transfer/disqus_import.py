"""`marginalia import disqus FILE.xml`: Disqus comments onto the posts they were on.

A thread is matched to a post by its link, exactly (api/transfer/urls.py's page key):
one of our post URLs (`MARGINALIA_SITE_URL`, current or old slug) or an old URL that an
earlier import (WordPress's `<link>` or `guid`) remembered. An unmatched thread is
reported with its comments, never guessed. Posts become comments with their parent,
author name and email, IP and time: approved, `isSpam` as spam, `isDeleted` as trash
(kept, so the replies under it keep their place; never public).
"""

from __future__ import annotations

from collections.abc import Iterator

from api.infra.timestamps import utcnow
from api.transfer.disqus import DisqusCategory, DisqusPost, DisqusThread, read_disqus
from api.transfer.html import wordpress_html
from api.transfer.importing import Step, run
from api.transfer.report import ImportReport
from api.transfer.source import ProgressCallback, Source
from api.transfer.writing import comment_id_for, post_for_url, write_comment


def import_disqus(
    path: Source,
    *,
    site_url: str,
    dry_run: bool = False,
    emit_events: bool = False,
    checking: ProgressCallback | None = None,
    importing: ProgressCallback | None = None,
) -> ImportReport:
    forum = ""
    for record in read_disqus(path, progress=checking):  # checked whole first
        if not forum and isinstance(record, DisqusCategory | DisqusThread):
            forum = record.forum
    source = f"disqus:{forum}"
    report = ImportReport("disqus", dry_run=dry_run)
    importer = _DisqusImport(source, report, site_url)
    steps = importer.steps(read_disqus(path, progress=importing))
    return run(steps, report, emit_events=emit_events, summary={"source": source})


class _DisqusImport:
    def __init__(self, source: str, report: ImportReport, site_url: str):
        self.source, self.report, self.site_url = source, report, site_url
        self.threads: dict[str, int | None] = {}  # dsq:id → our post id (None: unmatched)

    def steps(self, records) -> Iterator[Step]:
        for record in records:
            if isinstance(record, DisqusThread):
                yield "thread", record.dsq_id, lambda r=record: self._thread(r)
            elif isinstance(record, DisqusPost):
                yield "comment", record.dsq_id, lambda r=record: self._post(r)

    def _thread(self, thread: DisqusThread) -> None:
        post_id = post_for_url(thread.link, self.site_url)
        self.threads[thread.dsq_id] = post_id
        if post_id is None:
            reason = "its link matches none of our posts' URLs or old URLs"
            self.report.record("thread", "refused", reason=reason, source_id=thread.link[:200])
        else:
            self.report.record("thread", "unchanged", reason="matched to a post by its URL")

    def _post(self, post: DisqusPost) -> None:
        post_id = self.threads.get(post.thread_id or "")
        if post_id is None:
            reason = "its thread matches none of our posts"
            self.report.record("comment", "refused", reason=reason, source_id=post.dsq_id)
            return
        note = None
        parent = comment_id_for(self.source, post.parent_id) if post.parent_id else None
        if post.parent_id and parent is None:
            note = "the comment it replies to was not imported; kept at the top"
        status = "spam" if post.is_spam else "trash" if post.is_deleted else "approved"
        if post.is_deleted:
            note = note or "deleted in Disqus, imported as trash"
        name = post.author.name or post.author.username or "Anonymous"
        data = {
            "post_id": post_id,
            "parent_id": parent,
            "type": "comment",
            "status": status,
            "body": post.message,
            "body_html": wordpress_html(post.message),
            "author_name": name[:200],
            "author_email": post.author.email[:320] or None,
            "ip_address": post.ip_address[:64] or None,
            "created_at": post.created_at or utcnow(),
        }
        write_comment(self.source, self.report, "comment", post.dsq_id, data, note=note)
