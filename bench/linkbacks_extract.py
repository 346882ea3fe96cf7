"""Link extraction speed on a 1 MB post body, against a bare html.parser pass.

Goal (DESIGN §7, linkbacks issue): a 1 MB body in well under 50 ms. Two numbers: the
URLs alone (what saving a post needs for every link; excerpts are worked out lazily,
only for links that become pingback entries), and the URLs with every excerpt. The
baseline is `html.parser.HTMLParser().feed()` over the same document doing nothing
with it: the floor any parser-based extractor would start from. Timings are the best
of 15 runs. Exit status 1 if even the all-excerpts figure misses the goal. Run:

    /work/main/.venv/bin/python bench/linkbacks_extract.py
"""

from __future__ import annotations

import sys
import time
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.linkbacks.extraction import extract_links
from api.rendering import render_post

TARGET_BYTES = 1_000_000
GOAL_MS = 50.0


def body_of_one_megabyte() -> str:
    """Realistic prose: paragraphs, lists and quotes, a few links each, some repeated."""
    paragraphs = []
    number = 0
    while sum(len(p) for p in paragraphs) < TARGET_BYTES * 0.74:  # HTML is ~35% larger
        number += 1
        paragraphs.append(
            f"The State Council's notice number {number} on *network security* says that "
            f"[the measures]({'https://example.org/notice/' + str(number)}) apply to "
            f"operators of [critical infrastructure](/posts/cii-{number % 50}/) from next "
            f"year, as [our earlier post](https://blog.example/earlier-{number % 7}/) "
            "explained. Commentators **disagree** on how strictly it will be enforced, "
            "and the text leaves much to the implementing rules.\n\n"
            f"- item one with [a link](https://example.com/list/{number})\n"
            "- item two without one\n\n"
            "> A quotation from the speech, long enough to look like prose, "
            "with no link in it at all.\n"
        )
    return render_post("\n\n".join(paragraphs))


def timed(fn, repeat: int = 15) -> float:
    """Best of `repeat` runs in ms: the least disturbed by other load on the machine."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return min(samples)


def main() -> int:
    page = body_of_one_megabyte()
    base = "https://blog.example/a-post/"
    links = extract_links(page, base)
    urls = timed(lambda: extract_links(page, base))
    excerpts = timed(lambda: [link.excerpt for link in extract_links(page, base)])
    baseline = timed(lambda: HTMLParser().feed(page))
    print(f"document: {len(page.encode()) / 1e6:.2f} MB, {len(links)} distinct links")
    print(f"extract_links (URLs, as on save):   {urls:6.1f} ms  goal < {GOAL_MS:.0f} ms")
    print(f"... and every link's excerpt:       {excerpts:6.1f} ms")
    print(f"html.parser feed (baseline):        {baseline:6.1f} ms  does nothing with the tags")
    print(f"ratio to baseline: {urls / baseline:.2f} (URLs), {excerpts / baseline:.2f} (excerpts)")
    return 0 if excerpts < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
