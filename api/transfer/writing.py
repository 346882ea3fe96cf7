"""Writing one imported record through the services, the same for every platform:
created the first time (its source id remembered), left alone while unchanged, updated
when the file changed it, reported either way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from api.auth.policy import IMPORTER
from api.comments import services as comments
from api.content import services as posts
from api.content.slugs import MAX_SLUG
from api.content.taxonomy import authors, tags
from api.errors import NotFound
from api.transfer import ledger
from api.transfer.report import ImportReport
from api.transfer.urls import page_key

GONE = "deleted here since imported"

# During an import's run: the posts whose approved comments changed in this batch, counted
# once at its end (`count_comments`) instead of once per comment.
_uncounted: ContextVar[set[int] | None] = ContextVar("_uncounted", default=None)


@contextmanager
def counting_per_batch() -> Iterator[None]:
    token = _uncounted.set(set())
    try:
        yield
    finally:
        _uncounted.reset(token)


def count_comments() -> None:
    """Store the comment counts of the posts this batch added approved comments to (in the
    batch's transaction; a count is of the rows there, so a refused step is not counted)."""
    pending = _uncounted.get()
    if pending:
        for post_id in sorted(pending):
            comments.recount(post_id)
        pending.clear()


def write_author(source: str, report: ImportReport, source_id: str, data: dict) -> str | None:
    """The author's slug here (None when it was deleted here since an import)."""
    return _write_taxonomy(authors, "author", source, report, "author", source_id, data)


def write_tag(
    source: str, report: ImportReport, kind: str, source_id: str, data: dict
) -> str | None:
    """A tag (`kind`: tag, category, … as the source calls it); its slug here."""
    return _write_taxonomy(tags, "tag", source, report, kind, source_id, data)


def _write_taxonomy(service, noun, source, report, kind, source_id, data) -> str | None:
    print_ = ledger.fingerprint(data)
    done = ledger.lookup(source, kind, source_id)
    if done is not None:
        current = service.slug_of(done.target_id)
        if current is None:
            report.record(kind, "skipped", reason=GONE, source_id=source_id)
        elif done.fingerprint == print_:
            report.record(kind, "unchanged")
        else:
            service.update(IMPORTER, current, {**data, "slug": current}, None)
            ledger.remember(source, kind, source_id, done.target_id, print_, record=done)
            report.record(kind, "updated")
        return current
    try:
        item, outcome = service.get(data["slug"]), "unchanged"
        reason = (
            f"an {noun} with this slug was here"
            if noun == "author"
            else ("a tag with this slug was here (two terms of one slug meet)")
        )
    except NotFound:
        item, outcome, reason = service.create(IMPORTER, data), "created", None
    ledger.remember(source, kind, source_id, item.id, print_, known_new=True)
    report.record(kind, outcome, reason=reason, source_id=source_id)
    return item.slug


def write_post(
    source: str,
    report: ImportReport,
    kind: str,
    source_id: object,
    data: dict,
    *,
    note: str | None = None,
    old_slugs: list[str] = (),
    old_urls: list[str] = (),
) -> None:
    """A post or page (`kind`), created or updated through the content services; its
    old slugs and old URLs name it too."""
    print_ = ledger.fingerprint({**data, "old": list(old_slugs), "urls": list(old_urls)})
    done = ledger.lookup(source, kind, source_id)
    if done is not None:
        ref = posts.find_post(post_id=done.target_id, site_url="{slug}")
        if ref is None:
            report.record(kind, "skipped", reason=GONE, source_id=source_id)
        elif done.fingerprint == print_:
            report.record(kind, "unchanged")
        else:
            changes = {k: v for k, v in data.items() if k != "slug" or v != ref.slug}
            if changes.get("slug") and slug_taken(changes["slug"], ref.id):
                changes.pop("slug")
            posts.update_post(IMPORTER, ref.slug, changes, None, kind)
            _old(source, ref.id, old_slugs, old_urls)
            ledger.remember(source, kind, source_id, ref.id, print_, record=done)
            report.record(kind, "updated", reason=note, source_id=source_id)
        return
    if data.get("slug") and slug_taken(data["slug"], None):
        data = {**data, "slug": free_slug(data["slug"])}
        note = note or "its slug was taken here; imported under another"
    post = posts.create_post(IMPORTER, data, kind)
    _old(source, post.id, old_slugs, old_urls)
    ledger.remember(source, kind, source_id, post.id, print_, known_new=True)
    report.record(kind, "created", reason=note, source_id=source_id)


def _old(source: str, post_id: int, old_slugs, old_urls) -> None:
    posts.remember_old_slugs(post_id, list(old_slugs))
    for url in old_urls:
        key = page_key(url)
        if key and len(key) <= 300:
            ledger.remember(source, "old url", key, post_id, "")


def post_for_url(url: str, site_url: str) -> int | None:
    """The post (or page) at this URL: one of ours (by `MARGINALIA_SITE_URL`, current or
    old slug) or the old URL of an imported one. None when nothing matches exactly."""
    key = page_key(url)
    if key is None:
        return None
    found = ledger.find_any("old url", key)
    if found is not None:
        return found.target_id
    prefix, _, suffix = site_url.partition("{slug}")
    ours_prefix, ours_suffix = page_key(prefix + "x"), None
    if ours_prefix is None:
        return None
    ours_prefix = ours_prefix[:-1]  # the key of the site's URL up to the slug
    if not key.startswith(ours_prefix):
        return None
    slug = key[len(ours_prefix) :]
    if suffix.strip("/"):
        ours_suffix = suffix.strip("/")
        if not slug.endswith(ours_suffix):
            return None
        slug = slug[: -len(ours_suffix)].rstrip("/")
    if not slug or "/" in slug:
        return None
    ref = posts.find_post(slug=slug, site_url=site_url)
    if ref is not None:
        return ref.id
    return posts.post_id_for_previous_slug(slug)


def write_comment(
    source: str,
    report: ImportReport,
    kind: str,
    source_id: object,
    data: dict,
    *,
    note: str | None = None,
) -> None:
    """A comment or pingback entry through the comments service. Imported comments are
    not updated by a later run (a moderator may have decided on them since)."""
    print_ = ledger.fingerprint({k: v for k, v in data.items() if k != "created_at"})
    done = ledger.lookup(source, "comment", source_id)
    if done is not None:
        if done.fingerprint == print_ or not comments.comment_exists(done.target_id):
            report.record(kind, "unchanged")
        else:
            reason = "changed in the file since imported; imported comments stay as they are"
            report.record(kind, "skipped", reason=reason, source_id=source_id)
        return
    source_url = data.get("source_url") if data.get("type") == "pingback" else None
    if source_url and comments.pingback_exists(data["post_id"], source_url):
        reason = "a second entry from the same source on the same post"
        report.record(kind, "refused", reason=reason, source_id=source_id)
        return
    pending = _uncounted.get()
    comment = comments.import_comment(**data, count=pending is None)
    if pending is not None and data.get("status") == "approved":
        pending.add(data["post_id"])
    ledger.remember(source, "comment", source_id, comment.id, print_, known_new=True)
    report.record(kind, "created", reason=note, source_id=source_id)


def comment_id_for(source: str, source_id: object) -> int | None:
    done = ledger.lookup(source, "comment", source_id)
    return done.target_id if done else None


def slug_taken(slug: str, own_id: int | None) -> bool:
    found = posts.find_post(slug=slug, site_url="{slug}")
    return found is not None and found.id != own_id


def free_slug(slug: str) -> str:
    n = 2
    while slug_taken(candidate := f"{slug[: MAX_SLUG - len(str(n)) - 1]}-{n}", None):
        n += 1
    return candidate
