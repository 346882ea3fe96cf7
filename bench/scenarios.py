"""What the benchmark measures: one small function per scenario.

A scenario returns the `Request` to hammer, built from the `Context` (the server's
URL, tokens, and slugs the dataset is known to have). Register it with `@scenario`:

    @scenario("comment thread", needs="get /v1/posts/{slug}/comments")
    def comment_thread(ctx):
        return Request(f"/v1/posts/{ctx.hot_post}/comments?limit=100")

`cache=False` runs it against a server started with the response cache off (a cold
read: every request goes to the database). `needs` names an operation in the served
openapi.yaml; until that operation exists the scenario is listed as "not built".
`ceiling` names the scenario whose body the bare-Flask ceiling returns for the ratio
(by default the scenario's own response body).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    unique: bool = False  # `{n}` in the body numbers each request; each from its own address


@dataclass
class Context:
    base_url: str
    admin_token: str
    moderator_token: str
    post: str = "post-5000"  # any published post of the dataset
    hot_post: str = "hot-post"  # the post with 500 approved comments

    def staff(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def etag(self, path: str) -> str:
        """The ETag the server gives `path` now (for the 304 path)."""
        with urllib.request.urlopen(self.base_url + path) as response:
            return response.headers["ETag"]


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[Context], Request]
    cache: bool = True
    needs: str | None = None
    ceiling: str | None = None
    target: tuple[str, float] | None = None  # ("ratio", 0.5) or ("rps", 300)


SCENARIOS: list[Scenario] = []


def scenario(name: str, **options) -> Callable:
    def register(build: Callable[[Context], Request]) -> Callable:
        SCENARIOS.append(Scenario(name, build, **options))
        return build

    return register


# --- content (built) -------------------------------------------------------------------

LIST = "/v1/posts?include=author,tags"


@scenario("post list", target=("ratio", 0.5))
def post_list(ctx: Context) -> Request:
    return Request(LIST)


@scenario("post detail", target=("ratio", 0.6))
def post_detail(ctx: Context) -> Request:
    return Request(f"/v1/posts/{ctx.post}")


@scenario("post detail 304", ceiling="post detail", target=("ratio", 0.8))
def post_detail_not_modified(ctx: Context) -> Request:
    path = f"/v1/posts/{ctx.post}"
    return Request(path, headers={"If-None-Match": ctx.etag(path)})


@scenario("post list 304", ceiling="post list", target=("ratio", 0.8))
def post_list_not_modified(ctx: Context) -> Request:
    return Request(LIST, headers={"If-None-Match": ctx.etag(LIST)})


@scenario("post list cold", cache=False, ceiling="post list", target=("rps", 300))
def post_list_cold(ctx: Context) -> Request:
    return Request(LIST)


@scenario("post detail cold", cache=False, ceiling="post detail", target=("rps", 300))
def post_detail_cold(ctx: Context) -> Request:
    return Request(f"/v1/posts/{ctx.post}")


@scenario("event feed")
def event_feed(ctx: Context) -> Request:
    return Request("/v1/events?after=5000&limit=100", headers=ctx.staff(ctx.admin_token))


# --- hooks for the areas still being built: they start running once their route exists ---


@scenario("comment thread (500)", needs="get /v1/posts/{slug}/comments")
def comment_thread(ctx: Context) -> Request:
    return Request(f"/v1/posts/{ctx.hot_post}/comments?limit=100")


@scenario(
    "comment thread cold",
    cache=False,
    ceiling="comment thread (500)",
    needs="get /v1/posts/{slug}/comments",
    target=("rps", 200),
)
def comment_thread_cold(ctx: Context) -> Request:
    return Request(f"/v1/posts/{ctx.hot_post}/comments?limit=100")


@scenario("comment intake", needs="post /v1/posts/{slug}/comments")
def comment_intake(ctx: Context) -> Request:
    # All rules on (rate limits off): each comment is a new commenter from a new address.
    body = {
        "body": "A thoughtful remark, number {n}.",
        "author_name": "Bench",
        "author_email": "bench{n}@x.test",
    }
    return Request(
        f"/v1/posts/{ctx.post}/comments",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body),
        unique=True,
    )


@scenario("moderation queue", needs="get /v1/moderation/comments")
def moderation_queue(ctx: Context) -> Request:
    return Request("/v1/moderation/comments?status=pending", headers=ctx.staff(ctx.moderator_token))


# Webhook fan-out is not a request loop: once api/webhooks lands, measure it as
# "events -> deliveries per second" by recording N events, running dispatch_pending()
# against a local 127.0.0.1 receiver, and timing until all deliveries are 2xx. Add it
# as a function here that returns a `Request` for the trigger (e.g. a post PATCH) with
# the receiver counting deliveries; see bench/README.md.
