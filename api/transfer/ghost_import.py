"""`marginalia import ghost FILE.json`: a Ghost content export through the services.

Users become authors (slug, name, email, bio, website, profile image), tags tags
(Ghost's internal `#tags` skipped), posts and pages posts and pages with Ghost's fields
by Ghost's names (feature image and its alt and caption, featured, custom excerpt, meta,
Open Graph and Twitter fields, canonical URL), the first of `posts_authors` as the
author and `posts_tags` as the tags. Members-only posts are imported as drafts (every
post here is public); `__GHOST_URL__` in links and images becomes `--site-url`.
"""

from __future__ import annotations

from collections.abc import Iterator

from api.content.slugs import slug_from
from api.infra.timestamps import utcnow
from api.transfer.ghost import GhostPost, GhostTag, GhostUser, map_ghost_status, read_ghost
from api.transfer.html import wordpress_html
from api.transfer.importing import Step, run
from api.transfer.report import ImportReport
from api.transfer.source import ProgressCallback, Source
from api.transfer.writing import write_author, write_post, write_tag

_TEXT_LIMITS = {
    "meta_title": 300,
    "meta_description": 500,
    "og_title": 300,
    "og_description": 500,
    "twitter_title": 300,
    "twitter_description": 500,
    "feature_image_alt": 191,
}
_URLS = ("feature_image", "og_image", "twitter_image", "canonical_url")


def import_ghost(
    path: Source,
    *,
    site_url: str = "",
    dry_run: bool = False,
    emit_events: bool = False,
    checking: ProgressCallback | None = None,
    importing: ProgressCallback | None = None,
) -> ImportReport:
    for _ in read_ghost(path, site_url=site_url, progress=checking):
        pass  # checked whole first
    report = ImportReport("ghost", dry_run=dry_run)
    source = f"ghost:{site_url.rstrip('/')}"
    importer = _GhostImport(source, report)
    steps = importer.steps(read_ghost(path, site_url=site_url, progress=importing))
    return run(steps, report, emit_events=emit_events, summary={"source": source})


class _GhostImport:
    def __init__(self, source: str, report: ImportReport):
        self.source, self.report = source, report
        self.authors: dict[str, str] = {}  # Ghost user id → our slug
        self.tags: dict[str, str] = {}  # Ghost tag id → our slug

    def steps(self, records) -> Iterator[Step]:
        for record in records:
            if isinstance(record, GhostUser):
                yield "author", record.id, lambda r=record: self._user(r)
            elif isinstance(record, GhostTag):
                yield "tag", record.id, lambda r=record: self._tag(r)
            elif isinstance(record, GhostPost):
                kind = record.type if record.type in ("post", "page") else "post"
                yield kind, record.id, lambda r=record: self._post(r)

    def _user(self, user: GhostUser) -> None:
        data = {
            "name": (user.name or user.slug)[:200],
            "slug": slug_from(user.slug or user.name, "author"),
            "email": user.email[:320] or None,
            "bio": user.bio,
            "website": _url(user.website),
            "avatar_url": _url(user.profile_image),
        }
        slug = write_author(self.source, self.report, user.id, data)
        if slug is not None:
            self.authors[user.id] = slug

    def _tag(self, tag: GhostTag) -> None:
        if tag.is_internal:
            reason = "Ghost's internal tags are not imported"
            self.report.record("tag", "skipped", reason=reason, source_id=tag.slug)
            return
        data = {
            "name": (tag.name or tag.slug)[:200],
            "slug": slug_from(tag.slug or tag.name, "tag"),
            "description": tag.description,
        }
        slug = write_tag(self.source, self.report, "tag", tag.id, data)
        if slug is not None:
            self.tags[tag.id] = slug

    def _post(self, post: GhostPost) -> None:
        kind = post.type if post.type in ("post", "page") else "post"
        status = map_ghost_status(post.status)
        if status.value is None:
            self.report.record(kind, "skipped", reason=status.note, source_id=post.id)
            return
        author = self.authors.get(post.primary_author_id or "")
        if author is None:
            reason = "its primary author is not among the file's users"
            self.report.record(kind, "refused", reason=reason, source_id=post.id)
            return
        value, note = status.value, status.note
        if post.visibility not in ("", "public") and value != "draft":
            value, note = "draft", "members-only in Ghost, imported as a draft"
        published_at = post.published_at
        if value == "scheduled" and (published_at is None or published_at <= utcnow()):
            value, note = "published", "its scheduled time has passed; imported as published"
        if value == "draft":
            published_at = None
        if post.html is not None:
            body = wordpress_html(post.html)
        else:
            body = post.plaintext
            note = note or "no HTML in the export (only mobiledoc/lexical): its plain text"
        data = {
            "title": (post.title or "(no title)")[:500],
            "slug": slug_from(post.slug, kind) if post.slug else None,
            "body": body,
            "excerpt": post.custom_excerpt,
            "status": value,
            "published_at": published_at,
            "author": author,
            "tags": [self.tags[t] for t in post.tag_ids if t in self.tags],
            "comments_open": kind == "post",
            "featured": post.featured,
            "feature_image_caption": post.feature_image_caption or None,
        }
        for name in _URLS:
            data[name] = _url(getattr(post, name))
        for name, limit in _TEXT_LIMITS.items():
            data[name] = getattr(post, name)[:limit] or None
        if not data["slug"]:
            data.pop("slug")
        write_post(self.source, self.report, kind, post.id, data, note=note)


def _url(value: str | None) -> str | None:
    """Absolute http(s) URLs only (a relative one needs `--site-url`)."""
    if value and value.startswith(("http://", "https://")) and len(value) <= 2000:
        return value
    return None
