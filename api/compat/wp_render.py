"""From `WpResource` to a WordPress response body: compact links, `_embed`, `_fields`,
`_envelope`. The rules are WordPress's (wp-includes/rest-api/class-wp-rest-server.php
response_to_data(), get_compact_response_links(), embed_links(), envelope_response();
wp-includes/rest-api.php rest_filter_response_fields(), rest_parse_embed_param();
https://developer.wordpress.org/rest-api/using-the-rest-api/global-parameters/ and
.../linking-and-embedding/):

- relations under https://api.w.org/ are written `wp:term`, and `curies` is added
  when one was (users, whose links are all standard, get none);
- `_embed` (present, empty, `1` or `true`) embeds every embeddable link;
  `_embed=author,wp:term` only those relations. An embedded relation is a list with
  one entry per link, in order; a link that is not embeddable leaves `{}` in its
  place, and a relation where nothing was embedded is left out (a post without
  comments has no `replies`);
- `_fields=a,b.c` keeps only those fields, nested paths included (WordPress 5.3+);
  `_links` only when listed;
- `_envelope` wraps the body: `{"body", "status", "headers"}`, answered with 200.

One deliberate difference, where WordPress has an open bug: `_fields` together with
`_embed` (`?_fields=title,author&_embed=author`) embeds nothing in WordPress unless
`_links` is listed too, because it drops the links before embedding
(https://core.trac.wordpress.org/ticket/49985, open since 2020; frontends work around
it with `_fields=...,_links,_embedded`). Here `_embed` is honoured: the response keeps
`_embedded` (narrowed by `_embedded.<rel>` paths when listed) and the links of the
embedded relations (`_links.author`), which is what the proposed fix does. Requests
using the workaround get the same answer as from WordPress.

Embedded copies come from the caller: `resolve(rel, link)` returns the embedded object
(for `author`, `up`, `in-reply-to`, `wp:featuredmedia`: one object in embed context,
rendered with `render(..., context="embed")`) or list (for `replies`, `wp:term`: the
collection), or None when there is nothing to embed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from api.compat.wordpress import API, WpResource

CURIES = ({"name": "wp", "href": API + "{rel}", "templated": True},)
EMBED_ALL = True

FieldTree = dict[str, "FieldTree | bool"]
Embed = bool | frozenset[str] | None  # None: no _embed; EMBED_ALL; or some relations
Resolver = Callable[[str, dict[str, Any]], Any]

_LIST_SEPARATOR = re.compile(r"[\s,]+")


def parse_list(raw: str | Sequence[str] | None) -> list[str]:
    """WordPress's wp_parse_list(): `a, b` or the array form `a[]=..&a[]=..`, each
    item possibly comma-separated itself."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part for item in items for part in _LIST_SEPARATOR.split(str(item)) if part]


def parse_fields(raw: str | Sequence[str] | None) -> FieldTree | None:
    """`_fields` as a tree of wanted keys; None when absent or empty (everything)."""
    paths = parse_list(raw)
    if not paths:
        return None
    tree: FieldTree = {}
    for path in paths:
        *parents, last = path.split(".")
        node = tree
        for name in parents:
            existing = node.get(name)
            if existing is True:  # the whole parent is already wanted
                break
            if not isinstance(existing, dict):
                existing = node[name] = {}
            node = existing
        else:
            node[last] = True
    return tree


def parse_embed(raw: str | Sequence[str] | None, present: bool) -> Embed:
    """`_embed`: None when absent; EMBED_ALL for a bare `_embed`, `1` or `true`."""
    if not present:
        return None
    if raw in (None, "", "1", "true") or raw == [""]:
        return EMBED_ALL
    rels = parse_list(raw)
    return frozenset(rels) if rels else EMBED_ALL


def compact_links(links: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    compacted: dict[str, list[dict[str, Any]]] = {}
    for rel, items in links.items():
        name = "wp:" + rel.removeprefix(API) if rel.startswith(API) else rel
        compacted[name] = [dict(item) for item in items]
    if any(rel.startswith(API) for rel in links):
        compacted["curies"] = [dict(curie) for curie in CURIES]
    return compacted


def render(
    resource: WpResource,
    *,
    context: str = "view",
    fields: FieldTree | None = None,
    embed: Embed = None,
    resolve: Resolver | None = None,
) -> dict[str, Any]:
    """The body of one object as WordPress sends it."""
    data = resource.data
    if context == "embed":
        data = {key: data[key] for key in resource.embed_fields if key in data}
    body = dict(data)
    links = compact_links(resource.links)
    if links:
        body["_links"] = links
    embedded = {}
    if embed is not None and resolve is not None:
        embedded = embed_links(links, embed, resolve)
        if embedded:
            body["_embedded"] = embedded
    return body if fields is None else filter_fields(body, _with_embeds(fields, embedded))


def _with_embeds(fields: FieldTree, embedded: dict[str, list[Any]]) -> FieldTree:
    """`_embed` with `_fields`: what was embedded is shown, with its relations' links."""
    if not embedded:
        return fields
    tree = dict(fields)
    tree.setdefault("_embedded", True)
    if tree.get("_links") is not True:
        links = dict(tree.get("_links") or {})
        links.update(dict.fromkeys(embedded, True))
        tree["_links"] = links
    return tree


def render_collection(resources: Iterable[WpResource], **options: Any) -> list[dict[str, Any]]:
    return [render(resource, **options) for resource in resources]


def embed_links(
    links: dict[str, list[dict[str, Any]]], embed: Embed, resolve: Resolver
) -> dict[str, list[Any]]:
    embedded: dict[str, list[Any]] = {}
    wanted = None if embed is EMBED_ALL else embed
    for rel, items in links.items():
        if rel == "curies" or (wanted is not None and rel not in wanted):
            continue
        copies = []
        for link in items:
            copy = resolve(rel, link) if link.get("embeddable") else None
            copies.append({} if copy is None else copy)
        if any(copies):
            embedded[rel] = copies
    return embedded


def filter_fields(data: Any, tree: FieldTree) -> Any:
    """WordPress's _rest_array_intersect_key_recursive(): objects keep the listed keys;
    a list under a nested path keeps nothing (its keys are positions, not names)."""
    if isinstance(data, list):
        return []
    kept = {}
    for key, value in data.items():
        wanted = tree.get(key)
        if wanted is None:
            continue
        if wanted is True or not isinstance(value, dict | list):
            kept[key] = value
        else:
            kept[key] = filter_fields(value, wanted)
    return kept


def envelope(body: Any, status: int, headers: dict[str, str]) -> dict[str, Any]:
    """`_envelope`: status and headers in the body, for clients that cannot read them
    (the HTTP answer is then always 200)."""
    return {"body": body, "status": status, "headers": dict(headers)}
