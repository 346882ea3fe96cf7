"""Loads a WordPress export's published posts and pages into a running server through
`/v1` (the content services behind it), with api/transfer/wordpress.py's parser.

A stand-in for `marginalia import wordpress`, which is wired on another branch: enough
for the WordPress and Ghost clients to read an imported site (authors, categories and
tags as our tags, published posts and pages with their dates and stickiness).
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import httpx

from api.transfer.wordpress import WxrAuthor, WxrPost, map_post_status, read_wordpress


def load_wxr(base_url: str, admin_token: str, path: Path) -> dict:
    headers = {"Authorization": f"Bearer {admin_token}"}
    counts: dict = {"authors": 0, "posts": 0, "pages": 0, "skipped": 0}
    authors: dict[str, str] = {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        for record in read_wordpress(path):
            if isinstance(record, WxrAuthor):
                name = record.display_name or record.login
                answer = http.post("/v1/authors", json={"name": name})
                answer.raise_for_status()
                authors[record.login] = answer.json()["slug"]
                counts["authors"] += 1
            elif isinstance(record, WxrPost):
                kind = {"post": "posts", "page": "pages"}.get(record.post_type)
                if kind is None or map_post_status(record.status).value != "published":
                    counts["skipped"] += 1
                    continue
                payload = {
                    "title": record.title.strip() or f"Untitled {record.post_id}",
                    "body": record.content,
                    "status": "published",
                    # An item by a login the export does not list: its first author's.
                    "author": authors.get(record.creator) or next(iter(authors.values()), None),
                }
                if record.date_gmt:
                    moment = record.date_gmt
                    if moment.tzinfo is None:
                        moment = moment.replace(tzinfo=UTC)
                    payload["published_at"] = moment.isoformat()
                if kind == "posts":
                    payload["featured"] = record.is_sticky
                    names = list(dict.fromkeys([*record.categories, *record.tags]))[:50]
                    payload["tags"] = [name[:200] for name in names]
                answer = http.post(
                    f"/v1/{kind}", json={k: v for k, v in payload.items() if v is not None}
                )
                if answer.status_code == 201:
                    counts[kind] += 1
                else:
                    counts["skipped"] += 1
                    counts.setdefault("refused", []).append((record.slug, answer.text[:200]))
    return counts
