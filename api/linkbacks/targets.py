"""Our own posts as link targets: which post a URL of this site names, old slugs too."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from api.content.services import PostRef, find_post
from api.infra.database import db
from api.infra.timestamps import utcnow
from api.linkbacks.models import PreviousSlug
from api.linkbacks.urls import SitePattern, site_pattern


def site_url() -> str:
    return current_app.config["MARGINALIA"].site_url


def our_site() -> SitePattern:
    return site_pattern(site_url())


def post_by_slug(slug: str) -> PostRef | None:
    """The post that has `slug` now or, failing that, had it before."""
    post = find_post(slug=slug, site_url=site_url())
    if post is not None:
        return post
    previous = db.session.get(PreviousSlug, slug)
    if previous is None:
        return None
    return find_post(post_id=previous.post_id, site_url=site_url())


def post_at(url: str) -> PostRef | None:
    """The post of this site a URL names (whatever its status), or None."""
    slug = our_site().slug_of(url)
    return post_by_slug(slug) if slug else None


def slugs_of(post: PostRef) -> set[str]:
    """Every slug that names the post: its own and the ones it had before."""
    previous = db.session.scalars(select(PreviousSlug.slug).where(PreviousSlug.post_id == post.id))
    return {post.slug, *previous}


def remember_previous_slug(post_id: int, slug: str) -> None:
    """Record that `post_id` was known as `slug` (in the caller's transaction).

    If two posts held the slug in turn, the later one keeps it: its links are newer.
    """
    previous = db.session.get(PreviousSlug, slug)
    if previous is None:
        db.session.add(PreviousSlug(slug=slug, post_id=post_id, replaced_at=utcnow()))
    elif previous.post_id != post_id:
        previous.post_id, previous.replaced_at = post_id, utcnow()
