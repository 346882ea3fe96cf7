"""`marginalia import wordpress FILE.xml`: a WXR file written through the services.

Authors (login → slug), categories and tags (both become tags; the ledger keeps which
was which as its `kind`), posts and pages, then each item's comments and pingback
entries. See api/transfer/importing.py for the transactions, and docs/transfer.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from api.auth.policy import IMPORTER
from api.content.slugs import MAX_SLUG, slug_from
from api.content.taxonomy import authors
from api.errors import NotFound
from api.infra.timestamps import utcnow
from api.transfer import ledger
from api.transfer.html import wordpress_html
from api.transfer.importing import Step, run
from api.transfer.report import ImportReport
from api.transfer.source import ProgressCallback, Source
from api.transfer.wordpress import (
    WxrAttachment,
    WxrAuthor,
    WxrComment,
    WxrPost,
    WxrSite,
    WxrTerm,
    map_comment_status,
    map_comment_type,
    map_post_status,
    read_wordpress,
)
from api.transfer.writing import comment_id_for, write_author, write_comment, write_post, write_tag

TERM_KINDS = ("category", "tag")
POST_KINDS = ("post", "page")


def import_wordpress(
    path: Source,
    *,
    dry_run: bool = False,
    emit_events: bool = False,
    checking: ProgressCallback | None = None,
    importing: ProgressCallback | None = None,
) -> ImportReport:
    """Check the whole file (nothing written if it is broken), then import it."""
    site, attachments = _check(path, checking)
    source = f"wordpress:{(site.base_site_url or site.link).rstrip('/')}"
    report = ImportReport("wordpress", dry_run=dry_run)
    importer = _WordPressImport(source, report, attachments)
    importer.hosts = {urlsplit(url).hostname for url in (site.base_blog_url, site.link) if url} - {
        None
    }
    steps = importer.steps(read_wordpress(path, progress=importing))
    return run(steps, report, emit_events=emit_events, summary={"source": source})


def _check(path: Source, progress: ProgressCallback | None) -> tuple[WxrSite, dict[int, str]]:
    """Read the file through once: any ImportFileError comes out here. Keeps the site
    and the attachments' URLs (a post's feature image may come before its attachment)."""
    site = None
    attachments: dict[int, str] = {}
    for record in read_wordpress(path, progress=progress):
        if isinstance(record, WxrSite):
            site = record
        elif isinstance(record, WxrAttachment) and record.url:
            attachments[record.post_id] = record.url
    assert site is not None  # the reader raises for a file without a channel
    return site, attachments


class _WordPressImport:
    def __init__(self, source: str, report: ImportReport, attachments: dict[int, str]):
        self.source, self.report, self.attachments = source, report, attachments
        self.authors: dict[str, str] = {}  # login → our author slug
        self.terms: dict[tuple[str, str], str] = {}  # (kind, nicename) → our tag slug
        self.hosts: set[str] = set()  # old URLs on these hosts become old slugs

    def steps(self, records) -> Iterator[Step]:
        for record in records:
            if isinstance(record, WxrAuthor):
                yield "author", record.login, lambda r=record: self._author(r)
            elif isinstance(record, WxrTerm):
                kind = record.kind if record.kind in TERM_KINDS else "term"
                yield kind, record.slug, lambda r=record: self._term(r)
            elif isinstance(record, WxrPost):
                kind = record.post_type if record.post_type in POST_KINDS else "other item"
                yield kind, record.post_id, lambda r=record: self._post(r)
                for comment in _parents_first(record.comments):
                    yield (
                        "comment",
                        comment.comment_id,
                        lambda r=record, c=comment: self._comment(r, c),
                    )
            elif isinstance(record, WxrAttachment):
                yield "attachment", record.post_id, lambda r=record: self._attachment(r)

    # --- authors and terms -------------------------------------------------------------

    def _author(self, wp: WxrAuthor) -> None:
        data = {
            "name": (wp.display_name or wp.login)[:200],
            "slug": slug_from(wp.login, "author"),
            "email": wp.email or None,
        }
        slug = write_author(self.source, self.report, wp.login, data)
        if slug is not None:
            self.authors[wp.login] = slug

    def _creator(self, login: str) -> str:
        """A post's author who is not among the file's authors (a hand-edited export):
        the author of that slug here, or a new one named after the login."""
        slug = slug_from(login, "author")
        try:
            author = authors.get(slug)
        except NotFound:
            author = authors.create(IMPORTER, {"name": login.strip()[:200] or slug, "slug": slug})
            reason = "named by a post but not among the file's authors"
            self.report.record("author", "created", reason=reason, source_id=slug)
        self.authors[login] = author.slug
        return author.slug

    def _term(self, wp: WxrTerm) -> None:
        if wp.kind not in TERM_KINDS:
            reason = f"{wp.kind or 'unknown'} terms are not imported"
            self.report.record("term", "skipped", reason=reason, source_id=wp.slug)
            return
        slug = slug_from(unquote(wp.slug) or wp.name, "tag")
        data = {"name": (wp.name or slug)[:200], "slug": slug, "description": wp.description}
        ours = write_tag(self.source, self.report, wp.kind, wp.slug, data)
        if ours is not None:
            self.terms[(wp.kind, wp.slug)] = ours

    # --- posts and pages ---------------------------------------------------------------

    def _post(self, wp: WxrPost) -> None:
        if wp.post_type not in POST_KINDS:
            reason = f"post type {wp.post_type!r} is not imported"
            self.report.record("other item", "skipped", reason=reason, source_id=wp.post_id)
            return
        kind = wp.post_type
        status = map_post_status(wp.status)
        if status.value is None:
            self.report.record(kind, "skipped", reason=status.note, source_id=wp.post_id)
            return
        author = self.authors.get(wp.creator) or self._creator(wp.creator)
        status_value, status_note = status.value, status.note
        if wp.password and status_value != "draft":
            status_value = "draft"
            status_note = "password-protected in WordPress, imported as a draft"
        data, note = self._post_data(wp, status_value, author)
        note = status_note or note
        urls = [u for u in wp.old_urls if urlsplit(u).hostname in self.hosts]
        write_post(
            self.source,
            self.report,
            kind,
            wp.post_id,
            data,
            note=note,
            old_slugs=_old_slugs(urls),
            old_urls=urls,
        )

    def _post_data(self, wp: WxrPost, status: str, author: str) -> tuple[dict, str | None]:
        note = None
        published_at = wp.date_gmt or (wp.date.replace(tzinfo=utcnow().tzinfo) if wp.date else None)
        if status == "scheduled" and (published_at is None or published_at <= utcnow()):
            status, note = "published", "its scheduled time has passed; imported as published"
        if status == "published" and published_at is not None and published_at > utcnow():
            status = "scheduled"
        if status == "draft":
            published_at = None
        slug = slug_from(unquote(wp.slug), wp.post_type) if wp.slug else None
        terms = []
        for term in wp.terms:
            kind = {"category": "category", "post_tag": "tag"}.get(term.domain)
            if kind is None:
                continue
            key = term.nicename or term.name
            terms.append(self.terms.get((kind, key)) or term.name or key)
        thumbnail = self.attachments.get(wp.thumbnail_id) if wp.thumbnail_id else None
        data = {
            "title": (wp.title or "(no title)")[:500],
            "slug": slug,
            "body": wordpress_html(wp.content),
            "excerpt": wp.excerpt.strip(),
            "status": status,
            "published_at": published_at,
            "author": author,
            "tags": list(dict.fromkeys(t for t in terms if t)),
            "comments_open": wp.comment_status == "open",
            "featured": wp.is_sticky,
            "feature_image": thumbnail if thumbnail and len(thumbnail) <= 2000 else None,
        }
        if not data["slug"]:
            data.pop("slug")
        return data, note

    def _attachment(self, wp: WxrAttachment) -> None:
        reason = "attachments are not copied; feature images keep their URL"
        self.report.record("attachment", "skipped", reason=reason, source_id=wp.post_id)
        for comment in wp.comments:
            reason = "its item (an attachment) is not imported"
            self.report.record("comment", "refused", reason=reason, source_id=comment.comment_id)

    # --- comments ----------------------------------------------------------------------

    def _comment(self, wp_post: WxrPost, wp: WxrComment) -> None:
        kind = map_comment_type(wp.type)
        report_kind = kind.value or "comment"
        status = map_comment_status(wp.approved)
        for mapped in (kind, status):
            if mapped.value is None:
                self.report.record(
                    report_kind, "skipped", reason=mapped.note, source_id=wp.comment_id
                )
                return
        post = ledger.lookup(self.source, wp_post.post_type, wp_post.post_id)
        if post is None or wp_post.post_type not in POST_KINDS:
            reason = "its post or page was not imported"
            self.report.record(report_kind, "refused", reason=reason, source_id=wp.comment_id)
            return
        note = kind.note or status.note
        parent = comment_id_for(self.source, wp.parent) if wp.parent else None
        if wp.parent and parent is None:
            note = "the comment it replies to was not imported; kept at the top"
        data = {
            "post_id": post.target_id,
            "parent_id": parent,
            "type": kind.value,
            "status": status.value,
            "body": wp.content,
            "author_name": wp.author[:200],
            "author_email": wp.author_email[:320] or None,
            "author_url": wp.author_url[:2000] or None,
            "ip_address": wp.author_ip[:64] or None,
            "created_at": wp.date_gmt or _naive_as_utc(wp.date) or utcnow(),
        }
        if kind.value == "pingback":
            data["source_url"] = data["author_url"]
            data["source_title"] = data["author_name"]
        data["body_html"] = wordpress_html(wp.content)
        write_comment(self.source, self.report, report_kind, wp.comment_id, data, note=note)


def _parents_first(items: tuple[WxrComment, ...]) -> list[WxrComment]:
    """Comments ordered so that a reply comes after the comment it answers."""
    by_id = {c.comment_id: c for c in items}
    ordered: list[WxrComment] = []
    placed: set[int] = set()

    def place(comment: WxrComment, seen: frozenset) -> None:
        if comment.comment_id in placed:
            return
        parent = by_id.get(comment.parent) if comment.parent else None
        if parent is not None and parent.comment_id not in seen:
            place(parent, seen | {comment.comment_id})
        placed.add(comment.comment_id)
        ordered.append(comment)

    for comment in sorted(items, key=lambda c: c.comment_id):
        place(comment, frozenset())
    return ordered


def _naive_as_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=utcnow().tzinfo) if value else None


def _old_slugs(urls: Iterable[str]) -> list[str]:
    """What an old URL on the site's host leaves as an old slug here: its last path
    segment, or for
    WordPress's query-string permalinks (`?p=123`, `?page_id=7`) `p-123`, `page_id-7`."""
    slugs = []
    for url in urls:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        for key in ("p", "page_id"):
            if query.get(key, "").isdigit():
                slugs.append(f"{key}-{query[key]}")
                break
        else:
            segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
            if segment:
                slugs.append(segment[:MAX_SLUG])
    return slugs
