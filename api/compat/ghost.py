"""Ghost Content API shapes from our `/v1` JSON representations.

Sources, field by field: https://docs.ghost.org/content-api/ (posts, pages, authors,
tags, settings, the include/fields/formats parameters) and Ghost's own end-to-end
snapshots of the Content API (TryGhost/Ghost ghost/core/test/e2e-api/content/
__snapshots__/posts.test.js.snap, authors..., tags..., settings...), which show every
field a Ghost 5 answers with. What `@tryghost/content-api` reads of them: the array
under the resource's name (a browse keeps `meta`, a one-element answer without `meta`
becomes the object itself), `settings` as an object, and `errors[0]` on failure.

Conventions of Ghost's followed here: ids are 24 hex characters (`api.compat.ids`),
timestamps `2019-11-26T02:43:13.000+00:00`, an empty optional field is null, relations
only with `include` (`authors` adds `authors` and `primary_author`, `tags` adds `tags`
and `primary_tag`, `count.posts` adds `count: {posts}`), `html` unless `formats` says
otherwise and `plaintext` only when asked for.

Where we have no equivalent: code injection, custom templates, email fields and
social profiles are null; `access` is true (everything public is readable); `comments`
is false, because it switches on Ghost's own comment widget, which would call Ghost's
members API. `reading_time`, `plaintext` and the excerpt come from our post when it
has them (issue 15), else they are worked out from the HTML as Ghost does.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from api.compat.ids import Kind, content_uuid, ghost_id
from api.rendering import plain_text

WORDS_PER_MINUTE = 275  # Ghost's readingMinutes (@tryghost/helpers)
EXCERPT_LENGTH = 500  # Ghost's generated excerpt
_IMAGE = re.compile(r"<img\b", re.IGNORECASE)


@dataclass(frozen=True)
class GhostSite:
    """What the Ghost shapes need to know about the site; `url` ends with a slash."""

    title: str
    description: str
    url: str
    timezone: str = "Etc/UTC"
    lang: str = "en"
    author_url: str = "{url}author/{slug}/"
    tag_url: str = "{url}tag/{slug}/"
    logo: str | None = None
    icon: str | None = None
    cover_image: str | None = None
    accent_color: str | None = None
    navigation: tuple[dict[str, str], ...] = field(default_factory=tuple)
    version: str = "5.0"


def ghost_time(timestamp: str | None) -> str | None:
    """Our RFC 3339 UTC timestamp in Ghost's form, milliseconds and offset included."""
    if not timestamp:
        return None
    moment = datetime.fromisoformat(timestamp).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def reading_time(html: str, *, feature_image: bool = False) -> int:
    """Ghost's readingMinutes: 275 words a minute, plus 12 s for the first image, 11 s
    for the second, ... never less than 3 s an image; rounded to minutes."""
    words = len(plain_text(html).split())
    seconds = words / (WORDS_PER_MINUTE / 60)
    images = len(_IMAGE.findall(html)) + (1 if feature_image else 0)
    seconds += sum(max(12 - index, 3) for index in range(images))
    return round(seconds / 60)


def _none_if_empty(value: Any) -> Any:
    return value if value not in ("", None) else None


# --- tags and authors ---------------------------------------------------------------


def ghost_tag(tag: dict, site: GhostSite, *, include: Collection[str] = ()) -> dict[str, Any]:
    shaped = {
        "id": ghost_id(Kind.TAG, int(tag["id"])),
        "name": tag.get("name") or "",
        "slug": tag["slug"],
        "description": _none_if_empty(tag.get("description")),
        "feature_image": _none_if_empty(tag.get("feature_image")),
        "visibility": tag.get("visibility") or "public",
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "meta_title": None,
        "meta_description": None,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "canonical_url": None,
        "accent_color": None,
        "url": site.tag_url.format(url=site.url, slug=tag["slug"]),
    }
    if "count.posts" in include:
        shaped["count"] = {"posts": int(tag.get("post_count") or 0)}
    return shaped


_SOCIAL = ("facebook", "twitter", "threads", "bluesky", "mastodon", "tiktok", "youtube",
           "instagram", "linkedin")  # fmt: skip


def ghost_author(author: dict, site: GhostSite, *, include: Collection[str] = ()) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "id": ghost_id(Kind.AUTHOR, int(author["id"])),
        "name": author.get("name") or "",
        "slug": author["slug"],
        "profile_image": _none_if_empty(author.get("avatar_url")),
        "cover_image": None,
        "bio": _none_if_empty(author.get("bio")),
        "website": _none_if_empty(author.get("website")),
        "location": None,
    }
    shaped |= dict.fromkeys(_SOCIAL)
    shaped |= {
        "meta_title": None,
        "meta_description": None,
        "url": site.author_url.format(url=site.url, slug=author["slug"]),
    }
    if "count.posts" in include:
        shaped["count"] = {"posts": int(author.get("post_count") or 0)}
    return shaped


# --- posts and pages ----------------------------------------------------------------


def ghost_post(
    post: dict,
    site: GhostSite,
    *,
    include: Collection[str] = (),
    formats: Collection[str] = ("html",),
) -> dict[str, Any]:
    """A post; serialise ours with include=author,tags when `include` asks for them."""
    return _content(post, site, Kind.POST, include, formats)


def ghost_page(
    page: dict,
    site: GhostSite,
    *,
    include: Collection[str] = (),
    formats: Collection[str] = ("html",),
) -> dict[str, Any]:
    return _content(page, site, Kind.PAGE, include, formats)


_SEO = ("og_image", "og_title", "og_description", "twitter_image", "twitter_title",
        "twitter_description", "meta_title", "meta_description")  # fmt: skip


def _content(
    item: dict, site: GhostSite, kind: Kind, include: Collection[str], formats: Collection[str]
) -> dict[str, Any]:
    number = int(item["id"])
    html = item.get("body_html") or ""
    identifier = ghost_id(kind, number)
    text = item.get("plaintext")
    if text is None:
        text = plain_text(html)
    custom_excerpt = _none_if_empty(item.get("custom_excerpt"))
    shaped: dict[str, Any] = {
        "slug": item["slug"],
        "id": identifier,
        "uuid": item.get("uuid") or content_uuid(kind, number, site.url),
        "title": item.get("title") or "",
    }
    if "html" in formats:
        shaped["html"] = html
    if "plaintext" in formats:
        shaped["plaintext"] = text
    shaped |= {
        "comment_id": identifier,
        "feature_image": _none_if_empty(item.get("feature_image")),
        "feature_image_alt": _none_if_empty(item.get("feature_image_alt")),
        "feature_image_caption": _none_if_empty(item.get("feature_image_caption")),
        "featured": bool(item.get("featured", False)),
        "visibility": item.get("visibility") or "public",
        "created_at": ghost_time(item.get("created_at")),
        "updated_at": ghost_time(item.get("updated_at")),
        "published_at": ghost_time(item.get("published_at")),
        "custom_excerpt": custom_excerpt,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "custom_template": None,
        "canonical_url": _none_if_empty(item.get("canonical_url")),
    }
    if "authors" in include:
        author = item.get("author")
        authors = (
            [ghost_author(author, site)] if isinstance(author, dict) and author.get("id") else []
        )
        shaped |= {"authors": authors, "primary_author": authors[0] if authors else None}
    if "tags" in include:
        tags = [ghost_tag(tag, site) for tag in item.get("tags") or [] if tag.get("id")]
        public = [tag for tag in tags if tag["visibility"] == "public"]
        shaped |= {"tags": tags, "primary_tag": public[0] if public else None}
    excerpt = custom_excerpt or _none_if_empty(item.get("excerpt")) or text[:EXCERPT_LENGTH]
    minutes = item.get("reading_time")
    if minutes is None:
        minutes = reading_time(html, feature_image=bool(shaped["feature_image"]))
    shaped |= {
        "url": item.get("url") or "",
        "excerpt": excerpt,
        "reading_time": int(minutes),
        "access": True,
        "comments": False,
    }
    shaped |= {name: _none_if_empty(item.get(name)) for name in _SEO}
    if kind is Kind.POST:
        shaped["email_subject"] = None
    shaped["frontmatter"] = None
    return shaped


# --- settings -----------------------------------------------------------------------


def ghost_settings(site: GhostSite) -> dict[str, Any]:
    """GET /settings/: the site's public settings (Ghost 5's keys; members and
    payments are off, since we have neither)."""
    return {
        "title": site.title,
        "description": site.description,
        "logo": site.logo,
        "icon": site.icon,
        "accent_color": site.accent_color,
        "cover_image": site.cover_image,
        "facebook": None,
        "twitter": None,
        "lang": site.lang,
        "locale": site.lang,
        "timezone": site.timezone,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "navigation": [dict(item) for item in site.navigation],
        "secondary_navigation": [],
        "meta_title": None,
        "meta_description": None,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "members_support_address": "noreply",
        "members_enabled": False,
        "members_invite_only": False,
        "paid_members_enabled": False,
        "firstpromoter_account": None,
        "portal_button_style": "icon-and-text",
        "portal_button_signup_text": "Subscribe",
        "portal_button_icon": None,
        "portal_plans": ["free"],
        "portal_name": False,
        "portal_button": False,
        "portal_signup_checkbox_required": False,
        "portal_signup_terms_html": None,
        "comments_enabled": "off",
        "recommendations_enabled": False,
        "url": site.url,
        "version": site.version,
    }


# --- bodies -------------------------------------------------------------------------


def pick_fields(item: dict[str, Any], fields: Collection[str] | None) -> dict[str, Any]:
    """`fields=title,url`: only those (names we do not have are left out, as Ghost does);
    relations asked for with `include` stay."""
    if not fields:
        return item
    keep = set(fields) | {"authors", "primary_author", "tags", "primary_tag", "count"}
    return {key: value for key, value in item.items() if key in keep}


def browse_body(resource: str, items: list[dict], pagination: dict[str, Any]) -> dict[str, Any]:
    return {resource: items, "meta": {"pagination": pagination}}


def read_body(resource: str, item: dict[str, Any]) -> dict[str, Any]:
    """A single read: a one-element array and no `meta` (the client unwraps it)."""
    return {resource: [item]}


def settings_body(site: GhostSite) -> dict[str, Any]:
    return {"settings": ghost_settings(site), "meta": {}}
