"""Peak memory of reading a large export with the transfer readers (issue 17: a 100k-post
WordPress import stays under 300 MB RSS as a whole; the reader must be far below that).

Generates, into a temporary folder and streaming (the generator itself stays small):

* a WXR 1.2 file of `--posts` posts (default 100,000), each with a ~1.5 kB block-editor
  body, categories, tags, a feature image, and `--comments` comments (default 3: a
  comment, a reply to it and a pingback), plus one attachment per 10 posts;
* the same posts and comments as our JSON Lines export;
* a Ghost JSON export of `--ghost-posts` posts (default 10,000, about 60 MB: close to
  the Ghost reader's 64 MiB read-whole limit).

Each file is then read to the end in a fresh child process (`--read KIND FILE`), which
reports its RSS just before reading (VmRSS), its peak RSS (getrusage ru_maxrss) and
the time; "growth" is peak minus before, an upper bound on what reading cost (the peak
may predate the read: importing the app costs more than reading). A child that only
imports the readers gives the baseline. The WXR read
shows a click progress bar on stderr. Run by hand, never in CI:

    .venv/bin/python bench/import_memory.py [--posts N] [--comments N] [--keep DIR] [--import]

With `--import`, the WXR file is also imported whole (`marginalia import wordpress`, the
services, batches and all) into a new SQLite database in a child process, whose peak RSS
counts against the budget too.

Exit status 1 if the WXR read's (or import's) peak RSS reaches 300 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LIMIT_MB = 300
START = datetime(2015, 1, 1, tzinfo=UTC)
PARAGRAPH = (
    "<!-- wp:paragraph -->\n<p>Paragraph {n} of post {post}: the committee met on "
    'Tuesday and agreed, after a long discussion about <a href="https://example.org/'
    '{post}/{n}">the proposal</a>, that the café would stay open — “for now”.</p>\n'
    "<!-- /wp:paragraph -->\n\n"
)


def body(post: int, size: int) -> str:
    parts, n = [], 0
    while sum(len(p) for p in parts) < size:
        n += 1
        parts.append(PARAGRAPH.format(n=n, post=post))
    return "".join(parts)


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wp_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def write_wxr(path: Path, posts: int, comments: int, body_bytes: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="https://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="https://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench blog</title><link>https://bench.example</link>\n"
            "<wp:wxr_version>1.2</wp:wxr_version>\n"
            "<wp:base_site_url>https://bench.example</wp:base_site_url>\n"
            "<wp:base_blog_url>https://bench.example</wp:base_blog_url>\n"
        )
        for a in range(5):
            out.write(
                f"<wp:author><wp:author_id>{a + 1}</wp:author_id><wp:author_login>author{a}"
                f"</wp:author_login><wp:author_email>author{a}@bench.example</wp:author_email>"
                f"<wp:author_display_name>{cdata(f'Author {a}')}</wp:author_display_name>"
                "</wp:author>\n"
            )
        for c in range(50):
            out.write(
                f"<wp:category><wp:term_id>{c + 1}</wp:term_id><wp:category_nicename>cat-{c}"
                f"</wp:category_nicename><wp:category_parent></wp:category_parent>"
                f"<wp:cat_name>{cdata(f'Category {c}')}</wp:cat_name></wp:category>\n"
            )
        for t in range(500):
            out.write(
                f"<wp:tag><wp:term_id>{1000 + t}</wp:term_id><wp:tag_slug>tag-{t}</wp:tag_slug>"
                f"<wp:tag_name>{cdata(f'Tag {t}')}</wp:tag_name></wp:tag>\n"
            )
        comment_id = 0
        for post in range(1, posts + 1):
            moment = START + timedelta(minutes=post)
            slug = f"post-{post}"
            thumbnail = 10_000_000 + post // 10 * 10
            out.write(
                f"<item><title>{cdata(f'Post number {post}')}</title>"
                f"<link>https://bench.example/{moment:%Y/%m}/{slug}/</link>"
                f"<dc:creator>{cdata(f'author{post % 5}')}</dc:creator>"
                f'<guid isPermaLink="false">https://bench.example/?p={post}</guid>'
                f"<content:encoded>{cdata(body(post, body_bytes))}</content:encoded>"
                f"<excerpt:encoded>{cdata('')}</excerpt:encoded>"
                f"<wp:post_id>{post}</wp:post_id><wp:post_date>{wp_date(moment)}</wp:post_date>"
                f"<wp:post_date_gmt>{wp_date(moment)}</wp:post_date_gmt>"
                "<wp:comment_status>open</wp:comment_status><wp:ping_status>open</wp:ping_status>"
                f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>"
                "<wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>"
                "<wp:post_type>post</wp:post_type><wp:is_sticky>0</wp:is_sticky>"
                f'<category domain="category" nicename="cat-{post % 50}">'
                f"{cdata(f'Category {post % 50}')}</category>"
                f'<category domain="post_tag" nicename="tag-{post % 500}">'
                f"{cdata(f'Tag {post % 500}')}</category>"
                "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
                f"<wp:meta_value>{thumbnail}</wp:meta_value></wp:postmeta>\n"
            )
            first_of_post = comment_id + 1
            for c in range(comments):
                comment_id += 1
                kind = "pingback" if c == 2 else ""
                parent = first_of_post if c == 1 else 0
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>{cdata(f'Reader {comment_id % 997}')}</wp:comment_author>"
                    f"<wp:comment_author_email>reader{comment_id % 997}@mail.example"
                    "</wp:comment_author_email><wp:comment_author_url>https://reader.example/"
                    "</wp:comment_author_url><wp:comment_author_IP>192.0.2.1</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>{wp_date(moment + timedelta(hours=c + 1))}"
                    "</wp:comment_date_gmt><wp:comment_content>"
                    f"{cdata(f'Comment {comment_id}: I agree with most of this, but not all.')}"
                    "</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
                    f"<wp:comment_type>{kind}</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>"
                    "<wp:comment_user_id>0</wp:comment_user_id></wp:comment>\n"
                )
            out.write("</item>\n")
            if post % 10 == 0:
                out.write(
                    f"<item><title>image {post}</title><wp:post_id>{thumbnail}</wp:post_id>"
                    f"<wp:post_parent>{post}</wp:post_parent><wp:post_type>attachment"
                    f"</wp:post_type><wp:attachment_url>https://bench.example/wp-content/"
                    f"uploads/{escape(str(post))}.jpg</wp:attachment_url></item>\n"
                )
        out.write("</channel>\n</rss>\n")


def write_jsonl(path: Path, posts: int, comments: int, body_bytes: int) -> None:
    from api.transfer.jsonl import ExportWriter

    with path.open("wb") as out:
        writer = ExportWriter(out)
        comment_id = 0
        for post in range(1, posts + 1):
            moment = START + timedelta(minutes=post)
            writer.write(
                "post",
                {
                    "slug": f"post-{post}",
                    "title": f"Post number {post}",
                    "body_html": body(post, body_bytes),
                    "status": "published",
                    "published_at": moment,
                    "tags": [f"tag-{post % 500}"],
                },
            )
            for c in range(comments):
                comment_id += 1
                writer.write(
                    "comment",
                    {
                        "id": comment_id,
                        "post": f"post-{post}",
                        "parent": comment_id - 1 if c == 1 else None,
                        "author_name": f"Reader {comment_id % 997}",
                        "body": "I agree with most of this, but not all.",
                        "status": "approved",
                        "created_at": moment + timedelta(hours=c + 1),
                    },
                )


def write_ghost(path: Path, posts: int, body_bytes: int) -> None:
    """Streams the JSON by hand so the generator stays small."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"db":[{"meta":{"exported_on":1716200000000,"version":"5.82.0"},"data":{')
        out.write('"posts":[')
        for post in range(1, posts + 1):
            html = body(post, body_bytes)
            row = {
                "id": f"p{post}",
                "uuid": f"00000000-0000-4000-8000-{post:012d}",
                "title": f"Post number {post}",
                "slug": f"post-{post}",
                "lexical": json.dumps({"root": {"children": [{"type": "html", "html": html}]}}),
                "html": html,
                "plaintext": html.replace("<p>", "").replace("</p>", ""),
                "feature_image": f"__GHOST_URL__/content/images/{post}.jpg",
                "featured": 0,
                "type": "post",
                "status": "published",
                "visibility": "public",
                "created_at": "2024-05-01T09:00:00.000Z",
                "updated_at": "2024-05-01T09:00:00.000Z",
                "published_at": "2024-05-01T10:00:00.000Z",
            }
            out.write(("," if post > 1 else "") + json.dumps(row))
        out.write('],"posts_authors":[')
        out.write(
            ",".join(
                json.dumps({"post_id": f"p{p}", "author_id": "u1", "sort_order": 0})
                for p in range(1, posts + 1)
            )
        )
        out.write('],"users":[{"id":"u1","name":"Jo","slug":"jo","email":"jo@example.com"}]')
        out.write(',"tags":[],"posts_tags":[]}}]}')


def read_in_this_process(kind: str, path: Path) -> dict:
    """The child's side: read to the end, report counts, time and peak RSS."""
    import click

    from api.transfer.ghost import read_ghost
    from api.transfer.jsonl import read_export
    from api.transfer.wordpress import WxrPost, read_wordpress

    records = comments = 0
    rss_before = _proc_status_mb("VmRSS")
    started = time.perf_counter()
    if kind == "baseline":
        pass
    elif kind == "wxr":
        size = path.stat().st_size
        with click.progressbar(
            length=size, label="reading WXR", file=sys.stderr, show_eta=True
        ) as bar:
            for record in read_wordpress(path, progress=lambda n: bar.update(n - bar.pos)):
                records += 1
                if isinstance(record, WxrPost):
                    comments += len(record.comments)
    elif kind == "import-wxr":
        # The whole import (`marginalia import wordpress`) into a fresh SQLite database
        # named by the parent's environment: checking, services, batches, the ledger.
        import contextlib

        from api.cli import cli

        with contextlib.redirect_stdout(sys.stderr):
            cli.main(
                ["import", "wordpress", str(path)], prog_name="marginalia", standalone_mode=False
            )
        records = -1
    elif kind == "jsonl":
        for record in read_export(path):
            records += 1
            comments += getattr(record, "kind", "") == "comment"
    elif kind == "ghost":
        for _ in read_ghost(path):
            records += 1
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return {
        "records": records,
        "comments": comments,
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        "rss_before_mb": rss_before,
    }


def _proc_status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(kind: str, path: Path, env: dict | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--read", kind, str(path)],
        check=True,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=3, help="per post (max 3 kinds)")
    parser.add_argument("--body-bytes", type=int, default=1500)
    parser.add_argument("--ghost-posts", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument(
        "--import",
        dest="run_import",
        action="store_true",
        help="also run the whole WordPress import of the WXR file into a new SQLite database",
    )
    parser.add_argument("--read", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read_in_this_process(args.read[0], Path(args.read[1]))))
        return 0

    with tempfile.TemporaryDirectory(prefix="import-memory-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "wxr": folder / "bench.wordpress.xml",
            "jsonl": folder / "bench.marginalia.jsonl",
            "ghost": folder / "bench.ghost.json",
        }
        started = time.perf_counter()
        write_wxr(files["wxr"], args.posts, args.comments, args.body_bytes)
        write_jsonl(files["jsonl"], args.posts, args.comments, args.body_bytes)
        write_ghost(files["ghost"], args.ghost_posts, args.body_bytes)
        print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        baseline = measure("baseline", files["wxr"])
        rows = []
        for kind, path in files.items():
            result = measure(kind, path)
            rows.append((kind, path.stat().st_size / 2**20, result))
        print(f"\nbaseline (python + readers imported): {baseline['peak_mb']:.1f} MB peak RSS\n")
        print(
            "| file | size MB | records | comments | seconds | RSS before MB | peak RSS MB "
            "| growth MB |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind, size_mb, r in rows:
            growth = r["peak_mb"] - r["rss_before_mb"]
            print(
                f"| {kind} | {size_mb:.0f} | {r['records']:,} | {r['comments']:,} | "
                f"{r['seconds']:.1f} | {r['rss_before_mb']:.1f} | {r['peak_mb']:.1f} "
                f"| {growth:.1f} |"
            )
        wxr_peak = rows[0][2]["peak_mb"]
        if args.run_import:
            import os

            instance = folder / "instance"
            instance.mkdir(exist_ok=True)
            env = {
                **os.environ,
                "MARGINALIA_INSTANCE_PATH": str(instance),
                "MARGINALIA_DEMO_ON_EMPTY": "false",
                "MARGINALIA_LOG_LEVEL": "WARNING",
            }
            env.pop("MARGINALIA_DATABASE_URL", None)
            env.pop("MARGINALIA_REDIS_URL", None)
            imported = measure("import-wxr", files["wxr"], env)
            print(
                f"\nimport of the WXR file: {imported['seconds']:.1f} s, peak RSS "
                f"{imported['peak_mb']:.1f} MB (before {imported['rss_before_mb']:.1f} MB)"
            )
            wxr_peak = max(wxr_peak, imported["peak_mb"])
        verdict = "ok" if wxr_peak < LIMIT_MB else "MISSED"
        print(f"\nWXR read peak {wxr_peak:.1f} MB vs the {LIMIT_MB} MB budget: {verdict}")
        return 0 if wxr_peak < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
