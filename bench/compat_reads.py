"""Latency of the WordPress and Ghost compatible reads against a running server, by hand.

    .venv/bin/python bench/compat_reads.py http://127.0.0.1:8000 <content key> [N]

Sequential requests (one client: latency, not throughput), each URL N times answered by
the view (a fresh `_bench=<i>` parameter misses the response cache; both APIs ignore
unknown parameters) and N times from the cache (the same URL). Prints the median and
the 95th percentile in milliseconds, as seen by the client on the same machine.
"""

from __future__ import annotations

import statistics
import sys
import time

import httpx


def _timed(http: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    answer = http.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
    return elapsed


def main() -> None:
    base, key = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    urls = {
        "wp posts (per_page 10)": "/wp-json/wp/v2/posts?per_page=10",
        "wp posts _embed": "/wp-json/wp/v2/posts?per_page=10&_embed",
        "wp post by slug": "/wp-json/wp/v2/posts?slug={slug}",
        "ghost posts include=tags,authors": (
            f"/ghost/api/content/posts/?key={key}&include=tags,authors"
        ),
        "ghost posts filter tag": f"/ghost/api/content/posts/?key={key}&filter=tag:{{tag}}",
        "ghost tags count.posts": f"/ghost/api/content/tags/?key={key}&include=count.posts",
    }
    with httpx.Client(base_url=base, timeout=30) as http:
        post = http.get("/wp-json/wp/v2/posts?per_page=1").json()[0]
        tag = http.get("/v1/tags?limit=1").json()["items"][0]["slug"]
        print(f"{'read':36} {'view p50':>9} {'view p95':>9} {'cached p50':>11} {'cached p95':>11}")
        for name, template in urls.items():
            url = template.format(slug=post["slug"], tag=tag)
            joiner = "&" if "?" in url else "?"
            view = [_timed(http, f"{url}{joiner}_bench={i}") for i in range(rounds)]
            cached = [_timed(http, url) for _ in range(rounds)]
            cells = [
                statistics.median(view),
                statistics.quantiles(view, n=20)[-1],
                statistics.median(cached),
                statistics.quantiles(cached, n=20)[-1],
            ]
            print(f"{name:36} " + " ".join(f"{c:9.2f}  " for c in cells))


if __name__ == "__main__":
    main()
