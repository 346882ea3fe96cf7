"""Dependency keys: what a public representation was built from, what a change alters.

Every cached public read declares the keys of what it shows (`depends_on`, called by the
view while it builds the body); every recorded event carries the keys of the public
reads it changes (`record_event(..., keys=...)`, stored in `events.cache_keys`). A
response cache drops exactly the entries sharing a key with a new event, and a CDN or
Varnish purges the same keys (Surrogate-Key, api/cdn). A change no anonymous reader can
see (a pending comment, a draft, a staff-only field, a token or webhook) carries none.

The keys, one vocabulary for readers and writers:

    post:<id>       a post or page, as read alone or as an item of a list
    comments:<id>   the public thread of post (or page) <id>
    author:<id>     an author (its public fields, its published post count)
    tag:<id>        a tag (the same)
    posts, pages, authors, tags
                    which items a collection lists, and in what order: a change of
                    membership (a post published, a tag created) carries these
A read that declares no key depends on everything (`*`): any keyed event drops it.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, has_request_context

EVERYTHING = "*"
POSTS = "posts"
PAGES = "pages"
AUTHORS = "authors"
TAGS = "tags"


def post(post_id: int) -> str:
    return f"post:{post_id}"


def comments(post_id: int) -> str:
    return f"comments:{post_id}"


def author(author_id: int) -> str:
    return f"author:{author_id}"


def tag(tag_id: int) -> str:
    return f"tag:{tag_id}"


def collection(kind: str) -> str:
    """The collection key of a post kind (`post` or `page`)."""
    return PAGES if kind == "page" else POSTS


def depends_on(*keys: str) -> None:
    """Declare, while building a public read, keys its body depends on."""
    if has_request_context():
        declared = g.get("cache_keys")
        if declared is None:
            declared = g.cache_keys = {}
        for key in keys:
            declared[key] = None


def declared_keys() -> tuple[str, ...]:
    """The keys this request's view declared, in order; () when none."""
    return tuple(g.get("cache_keys") or ())


def joined_keys(keys: Iterable[str]) -> str | None:
    """The keys as `events.cache_keys` stores them: space-separated, each once."""
    unique = tuple(dict.fromkeys(keys))
    for key in unique:
        if not key or " " in key or "," in key:
            raise ValueError(f"a cache key is a word without commas: {key!r}")
    return " ".join(unique) or None
