"""Our own posts as link targets: which post a URL of this site names, old slugs too."""

from __future__ import annotations

from flask import current_app

from api.content.services import PostRef, find_post, post_id_for_previous_slug, previous_slugs
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
    post_id = post_id_for_previous_slug(slug)
    if post_id is None:
        return None
    return find_post(post_id=post_id, site_url=site_url())


def post_at(url: str) -> PostRef | None:
    """The post of this site a URL names (whatever its status), or None."""
    slug = our_site().slug_of(url)
    return post_by_slug(slug) if slug else None


def slugs_of(post: PostRef) -> set[str]:
    """Every slug that names the post: its own and the ones it had before."""
    return {post.slug, *previous_slugs(post.id)}
