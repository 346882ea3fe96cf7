"""WordPress REST API v2 shapes from our `/v1` JSON representations.

Each function takes one of our JSON objects (as `/v1` serialises it: PostSchema,
AuthorSchema, TagSchema in api/content/schemas.py, CommentSchema in
api/comments/schemas.py, plus the fields issue 15 adds when present: feature_image,
featured, custom_excerpt, ...) and returns a `WpResource`: the object in WordPress's
"view" context and its links with full relation URIs. `api.compat.wp_render` turns
that into the response body (compact `wp:` relations and `curies`, `_embed`,
`_fields`).

Shapes follow what WordPress itself sends, field by field:
- WordPress's generated API fixture, the output of a real WordPress for its own
  client's tests: wordpress-develop tests/qunit/fixtures/wp-api-generated.js
  (PostsCollection, PagesCollection, MediaCollection, UsersCollection,
  TagsCollection, CategoriesCollection, CommentsCollection, TypesCollection,
  TaxonomiesCollection);
- the controllers' prepare_links() for the relations that fixture leaves out because
  its post has no author or featured image (wp-includes/rest-api/endpoints/
  class-wp-rest-posts-controller.php: `author` and `https://api.w.org/featuredmedia`,
  both embeddable; class-wp-rest-comments-controller.php: `in-reply-to`, `children`);
- https://developer.wordpress.org/rest-api/reference/ (posts, pages, comments, ...).

Our objects must carry ids: serialise posts with include=author,tags (the summary
form has slugs only); a comment's post id is passed in, comments do not carry it.

Choices where WordPress has no equivalent:
- `date` is in the site's time zone (`WordPressSite.timezone`), `date_gmt` in UTC,
  both without an offset, as WordPress writes them.
- Posts are never password-protected: `protected` is always false.
- `sticky` is our `featured`; `guid` is `{home}?p={id}` (stable across slug changes)
  unless the post carries a `guid` (an imported WordPress post keeps its own).
- Avatars: an author's `avatar_url` serves every size; without one, and for
  commenters, Gravatar's anonymous image. WordPress hashes the commenter's email into
  the URL; we do not publish hashes of email addresses.
- `categories`: tags of the category kind (`kind` or `taxonomy` "category"), or all
  tags when the site has none (`WordPressSite.categories_are_all_tags`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

API = "https://api.w.org/"
AVATAR_SIZES = ("24", "48", "96")
ANONYMOUS_AVATAR = "https://secure.gravatar.com/avatar/?s={size}&d=mm&r=g"


@dataclass(frozen=True)
class WordPressSite:
    """What the WordPress shapes need to know about the site.

    `api_root` is the index URL, in either of WordPress's forms: `https://x/wp-json/`
    or `https://x/?rest_route=/`; links are written in the same form."""

    name: str
    description: str
    home: str  # the public site, with a trailing slash
    api_root: str
    timezone: str = "UTC"
    # Public pages of authors and terms; {home}, {slug} and {id} are filled in.
    author_link: str = "{home}author/{slug}/"
    tag_link: str = "{home}tag/{slug}/"
    category_link: str = "{home}category/{slug}/"
    categories_are_all_tags: bool = True

    def url(self, route: str, **query: Any) -> str:
        """`url("/wp/v2/comments", post=4)` in this site's form."""
        query_text = urlencode({k: v for k, v in query.items() if v is not None})
        if "?rest_route=" in self.api_root:
            base = self.api_root.split("?rest_route=")[0]
            address = f"{base}?rest_route={quote(route, safe='/')}"
            return f"{address}&{query_text}" if query_text else address
        address = self.api_root.rstrip("/") + route
        return f"{address}?{query_text}" if query_text else address


@dataclass(frozen=True)
class WpResource:
    """One object in view context, its links (full relation URIs, in WordPress's
    order), and which of its fields the embed context keeps."""

    kind: str
    data: dict[str, Any]
    links: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def embed_fields(self) -> tuple[str, ...]:
        return EMBED_FIELDS[self.kind]


# The fields of each resource's schema with "embed" in their context, i.e. what an
# embedded copy carries (the controllers' get_item_schema()).
EMBED_FIELDS = {
    "post": ("id", "date", "slug", "type", "link", "title", "excerpt", "author", "featured_media"),
    "page": ("id", "date", "slug", "type", "link", "title", "excerpt", "author", "featured_media"),
    "user": ("id", "name", "url", "description", "link", "slug", "avatar_urls"),
    "tag": ("id", "link", "name", "slug", "taxonomy"),
    "category": ("id", "link", "name", "slug", "taxonomy"),
    "comment": (
        "id", "parent", "author", "author_name", "author_url", "date", "content", "link",
        "type", "author_avatar_urls",
    ),
    "media": (
        "id", "date", "slug", "type", "link", "title", "author", "caption", "alt_text",
        "media_type", "mime_type", "media_details", "source_url",
    ),
}  # fmt: skip


# --- values -----------------------------------------------------------------------


def wp_dates(timestamp: str | None, timezone: str) -> tuple[str | None, str | None]:
    """Our RFC 3339 UTC timestamp as WordPress's (local, gmt) pair, no offsets."""
    if not timestamp:
        return None, None
    moment = datetime.fromisoformat(timestamp).astimezone(UTC)
    local = moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return (
        local.isoformat(timespec="seconds"),
        moment.replace(tzinfo=None).isoformat(timespec="seconds"),
    )


def _text_html(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _excerpt_html(text: str | None) -> str:
    # WordPress runs excerpts through wpautop: one paragraph and a newline.
    return f"<p>{_text_html(text)}</p>\n" if text else ""


def avatar_urls(url: str | None) -> dict[str, str]:
    return {size: url or ANONYMOUS_AVATAR.format(size=size) for size in AVATAR_SIZES}


def _id_of(value: Any) -> int:
    return int(value["id"]) if isinstance(value, dict) and value.get("id") else 0


def is_category(tag: dict, site: WordPressSite) -> bool:
    return site.categories_are_all_tags or "category" in (tag.get("kind"), tag.get("taxonomy"))


def _is_plain_tag(tag: dict, site: WordPressSite) -> bool:
    return site.categories_are_all_tags or not is_category(tag, site)


# --- posts and pages --------------------------------------------------------------

_GUID_QUERY = {"post": "p", "page": "page_id"}  # WordPress's own guid forms


def wp_post(post: dict, site: WordPressSite, *, featured_media: int = 0) -> WpResource:
    """A post (`type` post) from our post JSON. `featured_media` is the id of our media
    item behind `feature_image`, when it is one of ours (0: none or an outside URL)."""
    return _content(post, site, "post", featured_media)


def wp_page(page: dict, site: WordPressSite, *, featured_media: int = 0) -> WpResource:
    return _content(page, site, "page", featured_media)


def _content(item: dict, site: WordPressSite, kind: str, featured_media: int) -> WpResource:
    number = int(item["id"])
    date, date_gmt = wp_dates(item.get("published_at") or item.get("created_at"), site.timezone)
    modified, modified_gmt = wp_dates(item.get("updated_at"), site.timezone)
    status = {"published": "publish", "scheduled": "future"}.get(item.get("status"), "draft")
    discussion = "open" if item.get("comments_open", True) else "closed"
    author = _id_of(item.get("author"))
    data: dict[str, Any] = {
        "id": number,
        "date": date,
        "date_gmt": date_gmt,
        "guid": {"rendered": item.get("guid") or f"{site.home}?{_GUID_QUERY[kind]}={number}"},
        "modified": modified,
        "modified_gmt": modified_gmt,
        "slug": item["slug"],
        "status": status,
        "type": kind,
        "link": item.get("url") or "",
        "title": {"rendered": _text_html(item.get("title"))},
        "content": {"rendered": item.get("body_html") or "", "protected": False},
        "excerpt": {
            "rendered": _excerpt_html(item.get("custom_excerpt") or item.get("excerpt")),
            "protected": False,
        },
        "author": author,
        "featured_media": featured_media,
    }
    if kind == "page":
        data |= {"parent": 0, "menu_order": 0}
    data |= {"comment_status": discussion, "ping_status": discussion}
    if kind == "post":
        data |= {"sticky": bool(item.get("featured", False)), "template": "", "format": "standard"}
    else:
        data["template"] = ""
    data["meta"] = []
    if kind == "post":
        tags = item.get("tags") or []
        data["categories"] = [_id_of(t) for t in tags if is_category(t, site) and _id_of(t)]
        data["tags"] = [_id_of(t) for t in tags if _is_plain_tag(t, site) and _id_of(t)]
    return WpResource(kind, data, _content_links(item, site, kind, author, featured_media))


def _content_links(item: dict, site: WordPressSite, kind: str, author: int, media: int) -> dict:
    number = int(item["id"])
    base = "/wp/v2/posts" if kind == "post" else "/wp/v2/pages"
    links: dict[str, list[dict[str, Any]]] = {
        "self": [{"href": site.url(f"{base}/{number}")}],
        "collection": [{"href": site.url(base)}],
        "about": [{"href": site.url(f"/wp/v2/types/{kind}")}],
    }
    if author:
        links["author"] = [{"embeddable": True, "href": site.url(f"/wp/v2/users/{author}")}]
    links["replies"] = [{"embeddable": True, "href": site.url("/wp/v2/comments", post=number)}]
    revisions = int(item.get("revision_count") or 0)
    links["version-history"] = [
        {"count": revisions, "href": site.url(f"{base}/{number}/revisions")}
    ]
    if latest := item.get("latest_revision_id"):
        href = site.url(f"{base}/{number}/revisions/{latest}")
        links["predecessor-version"] = [{"id": int(latest), "href": href}]
    if media:
        links[API + "featuredmedia"] = [
            {"embeddable": True, "href": site.url(f"/wp/v2/media/{media}")}
        ]
    links[API + "attachment"] = [{"href": site.url("/wp/v2/media", parent=number)}]
    if kind == "post":
        links[API + "term"] = [
            {
                "taxonomy": taxonomy,
                "embeddable": True,
                "href": site.url(f"/wp/v2/{route}", post=number),
            }
            for taxonomy, route in (("category", "categories"), ("post_tag", "tags"))
        ]
    return links


# --- users and terms --------------------------------------------------------------


def wp_user(author: dict, site: WordPressSite) -> WpResource:
    """An author as a WordPress user: public fields only (never the email)."""
    number = int(author["id"])
    data = {
        "id": number,
        "name": author.get("name") or "",
        "url": author.get("website") or "",
        "description": author.get("bio") or "",
        "link": site.author_link.format(home=site.home, slug=author["slug"], id=number),
        "slug": author["slug"],
        "avatar_urls": avatar_urls(author.get("avatar_url")),
        "meta": [],
    }
    links = {
        "self": [{"href": site.url(f"/wp/v2/users/{number}")}],
        "collection": [{"href": site.url("/wp/v2/users")}],
    }
    return WpResource("user", data, links)


def wp_tag(tag: dict, site: WordPressSite) -> WpResource:
    return _term(tag, site, "post_tag")


def wp_category(tag: dict, site: WordPressSite) -> WpResource:
    return _term(tag, site, "category")


def _term(tag: dict, site: WordPressSite, taxonomy: str) -> WpResource:
    number = int(tag["id"])
    route, template, query = {
        "post_tag": ("tags", site.tag_link, "tags"),
        "category": ("categories", site.category_link, "categories"),
    }[taxonomy]
    data: dict[str, Any] = {
        "id": number,
        "count": int(tag.get("post_count") or 0),
        "description": tag.get("description") or "",
        "link": template.format(home=site.home, slug=tag["slug"], id=number),
        # WordPress keeps term names entity-encoded (`News &amp; Views`).
        "name": html.escape(tag.get("name") or "", quote=False),
        "slug": tag["slug"],
        "taxonomy": taxonomy,
    }
    if taxonomy == "category":
        data["parent"] = 0
    data["meta"] = []
    links = {
        "self": [{"href": site.url(f"/wp/v2/{route}/{number}")}],
        "collection": [{"href": site.url(f"/wp/v2/{route}")}],
        "about": [{"href": site.url(f"/wp/v2/taxonomies/{taxonomy}")}],
        API + "post_type": [{"href": site.url("/wp/v2/posts", **{query: number})}],
    }
    return WpResource("category" if taxonomy == "category" else "tag", data, links)


# --- comments ---------------------------------------------------------------------


def wp_comment(
    comment: dict,
    site: WordPressSite,
    *,
    post_id: int,
    post_url: str,
    post_type: str = "post",
    has_children: bool = False,
) -> WpResource:
    """A comment or pingback on the post `post_id` (our comment JSON does not carry
    it). Pending comments show as WordPress's `hold`."""
    number = int(comment["id"])
    parent = int(comment.get("parent_id") or 0)
    date, date_gmt = wp_dates(comment.get("created_at"), site.timezone)
    data = {
        "id": number,
        "post": post_id,
        "parent": parent,
        "author": 0,  # commenters are never WordPress users here
        "author_name": comment.get("author_name") or "",
        "author_url": comment.get("author_url") or "",
        "date": date,
        "date_gmt": date_gmt,
        "content": {"rendered": comment.get("body_html") or ""},
        "link": f"{post_url}#comment-{number}",
        "status": "approved" if comment.get("status", "approved") == "approved" else "hold",
        "type": comment.get("type") or "comment",
        "author_avatar_urls": avatar_urls(None),
        "meta": [],
    }
    route = "posts" if post_type == "post" else "pages"
    links: dict[str, list[dict[str, Any]]] = {
        "self": [{"href": site.url(f"/wp/v2/comments/{number}")}],
        "collection": [{"href": site.url("/wp/v2/comments")}],
        "up": [
            {
                "embeddable": True,
                "post_type": post_type,
                "href": site.url(f"/wp/v2/{route}/{post_id}"),
            }
        ],
    }
    if parent:
        links["in-reply-to"] = [{"embeddable": True, "href": site.url(f"/wp/v2/comments/{parent}")}]
    if has_children:
        links["children"] = [{"href": site.url("/wp/v2/comments", parent=number)}]
    return WpResource("comment", data, links)


# --- media ------------------------------------------------------------------------


def wp_media(media: dict, site: WordPressSite) -> WpResource:
    """An image of ours as a WordPress attachment. Accepts the media JSON of issue 15
    under either our names or WordPress's: `url`/`source_url`, `alt`/`alt_text`,
    `content_type`/`mime_type`, `size`/`filesize`, and `variants` (sized copies, each
    `{width, height, url}`) for `media_details.sizes`."""
    number = int(media["id"])
    source = media.get("source_url") or media.get("url") or ""
    mime_type = media.get("mime_type") or media.get("content_type") or ""
    file_name = media.get("filename") or source.rsplit("/", 1)[-1]
    date, date_gmt = wp_dates(media.get("created_at"), site.timezone)
    changed = media.get("updated_at") or media.get("created_at")
    modified, modified_gmt = wp_dates(changed, site.timezone)
    author = int(media.get("author_id") or _id_of(media.get("author")))
    data = {
        "id": number,
        "date": date,
        "date_gmt": date_gmt,
        "guid": {"rendered": source},
        "modified": modified,
        "modified_gmt": modified_gmt,
        "slug": media.get("slug") or file_name.rsplit(".", 1)[0] or str(number),
        "status": "inherit",
        "type": "attachment",
        "link": source,
        "title": {"rendered": _text_html(media.get("title") or file_name)},
        "author": author,
        "comment_status": "closed",
        "ping_status": "closed",
        "template": "",
        "meta": [],
        "description": {"rendered": _excerpt_html(media.get("description"))},
        "caption": {"rendered": _excerpt_html(media.get("caption"))},
        "alt_text": media.get("alt_text") or media.get("alt") or "",
        "media_type": "image" if mime_type.startswith("image/") else "file",
        "mime_type": mime_type,
        "media_details": _media_details(media, file_name, mime_type),
        "post": media.get("post") or None,
        "source_url": source,
    }
    links: dict[str, list[dict[str, Any]]] = {
        "self": [{"href": site.url(f"/wp/v2/media/{number}")}],
        "collection": [{"href": site.url("/wp/v2/media")}],
        "about": [{"href": site.url("/wp/v2/types/attachment")}],
    }
    if author:
        links["author"] = [{"embeddable": True, "href": site.url(f"/wp/v2/users/{author}")}]
    links["replies"] = [{"embeddable": True, "href": site.url("/wp/v2/comments", post=number)}]
    return WpResource("media", data, links)


def _media_details(media: dict, file_name: str, mime_type: str) -> dict:
    if not media.get("width"):
        return {}
    details: dict[str, Any] = {
        "width": int(media["width"]),
        "height": int(media.get("height") or 0),
        "file": file_name,
    }
    if media.get("size") or media.get("filesize"):
        details["filesize"] = int(media.get("filesize") or media["size"])
    sizes = {}
    for variant in media.get("variants") or media.get("sizes") or []:
        url = variant.get("url") or variant.get("source_url") or ""
        sizes[f"w{variant['width']}"] = {
            "file": url.rsplit("/", 1)[-1],
            "width": int(variant["width"]),
            "height": int(variant.get("height") or 0),
            "mime_type": variant.get("mime_type") or mime_type,
            "source_url": url,
        }
    sizes["full"] = {
        "file": file_name,
        "width": details["width"],
        "height": details["height"],
        "mime_type": mime_type,
        "source_url": media.get("source_url") or media.get("url") or "",
    }
    return details | {"sizes": sizes, "image_meta": {}}


# --- types and taxonomies (static, for the `about` links) -------------------------


def wp_types(site: WordPressSite) -> dict[str, WpResource]:
    """GET /wp/v2/types: the three content types we serve."""
    rows = (
        ("post", "Posts", False, ["category", "post_tag"], "posts"),
        ("page", "Pages", True, [], "pages"),
        ("attachment", "Media", False, [], "media"),
    )
    return {
        slug: WpResource(
            "type",
            {
                "description": "",
                "hierarchical": hierarchical,
                "name": name,
                "slug": slug,
                "taxonomies": taxonomies,
                "rest_base": base,
            },
            {
                "collection": [{"href": site.url("/wp/v2/types")}],
                API + "items": [{"href": site.url(f"/wp/v2/{base}")}],
            },
        )
        for slug, name, hierarchical, taxonomies, base in rows
    }


def wp_taxonomies(site: WordPressSite) -> dict[str, WpResource]:
    """GET /wp/v2/taxonomies: categories and tags."""
    rows = (("category", "Categories", True, "categories"), ("post_tag", "Tags", False, "tags"))
    return {
        slug: WpResource(
            "taxonomy",
            {
                "name": name,
                "slug": slug,
                "description": "",
                "types": ["post"],
                "hierarchical": hierarchical,
                "rest_base": base,
            },
            {
                "collection": [{"href": site.url("/wp/v2/taxonomies")}],
                API + "items": [{"href": site.url(f"/wp/v2/{base}")}],
            },
        )
        for slug, name, hierarchical, base in rows
    }


EMBED_FIELDS |= {
    "type": ("description", "hierarchical", "name", "slug", "rest_base"),
    "taxonomy": ("name", "slug", "rest_base"),
}
