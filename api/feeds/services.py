"""What goes into the feeds: published posts (site, per tag, per author) and approved
comments (site, per post), as api/feeds/render.py's `Feed`.

Posts come from the content area's reading functions, comments from the comments
area's; nothing here writes. Entry ids are tag: URIs (RFC 4151) of the API's host, so
they never change when a slug does.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode, urlsplit

from api.comments import reading as comments
from api.content.reading import PostColumns, PostFilters, list_posts
from api.content.services import find_post, find_posts
from api.content.taxonomy import authors, tags
from api.errors import NotFound
from api.feeds.render import Category, Entry, Feed, Person
from api.infra.pagination import CursorCodec
from config import Settings

ITEMS = 20


def _tag_uri(settings: Settings, kind: str, item_id: int) -> str:
    host = urlsplit(settings.api_url).hostname or "localhost"
    return f"tag:{host},2026:{kind}/{item_id}"


def _site(settings: Settings) -> str:
    parts = urlsplit(settings.site_url.replace("{slug}", "x"))
    return f"{parts.scheme}://{parts.netloc}/"


def feed_url(settings: Settings, name: str, fmt: str, query: dict[str, str]) -> str:
    base = f"{settings.api_url.rstrip('/')}/v1/feeds/{name}.{fmt}"
    wanted = {k: v for k, v in query.items() if v}
    return f"{base}?{urlencode(wanted)}" if wanted else base


def posts_feed(
    settings: Settings, fmt: str, *, tag: str | None, author: str | None, secret: str
) -> Feed:
    title, alternate = "Posts", _site(settings)
    if tag:
        found = tags.get(tag)  # 404 for an unknown tag
        title = f"Posts tagged {found.name}"
    if author:
        found_author = authors.get(author)
        title = f"Posts by {found_author.name}" if not tag else f"{title}, by {found_author.name}"
    page = list_posts(
        None,
        PostFilters(tags=(tag,) if tag else (), authors=(author,) if author else ()),
        PostColumns(),
        limit=ITEMS,
        cursor=None,
        codec=CursorCodec(secret, "feeds"),
    )
    entries = []
    for record in page.items:
        post = record  # a PostRecord: a Post's attribute names
        url = settings.site_url.replace("{slug}", post.slug)
        entries.append(
            Entry(
                id=_tag_uri(settings, "post", post.id),
                title=post.title,
                url=url,
                published=post.published_at,
                updated=post.updated_at,
                authors=(Person(post.author_name, post.author_website, post.author_avatar_url),),
                summary_html=_escape(post.excerpt or post.auto_excerpt),
                content_html=post.body_html,
                categories=tuple(Category(t.slug, t.name) for t in record.tags),
            )
        )
    return Feed(
        title=title,
        self_url=feed_url(settings, "posts", fmt, {"tag": tag or "", "author": author or ""}),
        alternate_url=alternate,
        id=feed_url(settings, "posts", "atom", {"tag": tag or "", "author": author or ""}),
        language=settings.site_language,
        hub_url=settings.websub_hub_url or None,
        entries=tuple(entries),
    )


def comments_feed(settings: Settings, fmt: str, *, post_slug: str | None) -> Feed:
    title, alternate, post_id = "Comments", _site(settings), None
    if post_slug:
        post = find_post(slug=post_slug, site_url=settings.site_url)
        if post is None or post.status != "published":
            raise NotFound(f"No post with slug {post_slug!r}.")
        title, alternate, post_id = f"Comments on {post.title}", post.url, post.id
    rows = comments.recent_approved(post_id, ITEMS * 3 if post_id is None else ITEMS)
    posts = find_posts({row.post_id for row in rows}, site_url=settings.site_url)
    entries = []
    for row in rows:
        post = posts.get(row.post_id)
        if post is None or post.status != "published":
            continue
        entries.append(
            Entry(
                id=_tag_uri(settings, "comment", row.id),
                title=f"{row.author_name} on {post.title}",
                url=f"{post.url}#comment-{row.id}",
                published=row.created_at,
                updated=row.updated_at,
                authors=(Person(row.author_name, row.author_url),),
                content_html=row.body_html,
            )
        )
        if len(entries) == ITEMS:
            break
    query = {"post": post_slug or ""}
    return Feed(
        title=title,
        self_url=feed_url(settings, "comments", fmt, query),
        alternate_url=alternate,
        id=feed_url(settings, "comments", "atom", query),
        language=settings.site_language,
        hub_url=settings.websub_hub_url or None,
        entries=tuple(entries),
    )


def _escape(text: str | None) -> str | None:
    return f"<p>{escape(text)}</p>" if text else None
