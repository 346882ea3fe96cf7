// A frontend's flow through the TypeScript client generated from openapi.yaml:
// openapi-typescript's types and openapi-fetch, compiled by `tsc --strict`, run on Node 20.
// Usage: node build/flow.js <base url> <admin token> <moderator token>
// Prints one line of JSON for tests/contract/test_typescript_client.py to check.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Post = components["schemas"]["Post"];

const [baseUrl, adminToken, moderatorToken] = process.argv.slice(2);
if (!baseUrl || !adminToken || !moderatorToken) {
  throw new Error("usage: flow.js <base url> <admin token> <moderator token>");
}
const staff = (token: string) =>
  createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const reader = createClient<paths>({ baseUrl });
const admin = staff(adminToken);
const moderator = staff(moderatorToken);

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what}`);
  return value;
}

// List and page through the posts: forwards by next_cursor, back by prev_cursor.
const first = must(
  (await reader.GET("/v1/posts", { params: { query: { limit: 1, count: true } } })).data,
  "first page",
);
const slugs: string[] = first.items.map((post: Post) => post.slug);
let cursor: string | null = first.next_cursor;
let lastPrev: string | null = null;
while (cursor) {
  const page = must(
    (await reader.GET("/v1/posts", { params: { query: { limit: 1, cursor } } })).data,
    "page",
  );
  slugs.push(...page.items.map((post) => post.slug));
  lastPrev = page.prev_cursor;
  cursor = page.next_cursor;
}
const back = must(
  (await reader.GET("/v1/posts", { params: { query: { limit: 1, cursor: lastPrev } } })).data,
  "previous page",
);

// Read one, then revalidate it: 304 without a body.
const slug = must(slugs[0], "a post");
const read = await reader.GET("/v1/posts/{slug}", { params: { path: { slug } } });
const etag = must(read.response.headers.get("ETag") ?? undefined, "ETag");
const title: string | undefined = read.data?.title;
const revalidated = await reader.GET("/v1/posts/{slug}", {
  params: { path: { slug }, header: { "If-None-Match": etag } },
});

// Create a draft and publish it with If-Match; a stale ETag is a 412 problem.
const created = must(
  (
    await admin.POST("/v1/posts", {
      body: { title: `TypeScript ${Date.now()}`, body: "From *TypeScript*", author: "china-copyright-and-media" },
    })
  ).data,
  "created post",
);
const staffRead = await admin.GET("/v1/posts/{slug}", { params: { path: { slug: created.slug } } });
const staffTag = must(staffRead.response.headers.get("ETag") ?? undefined, "staff ETag");
const published = await admin.PATCH("/v1/posts/{slug}", {
  params: { path: { slug: created.slug }, header: { "If-Match": staffTag } },
  body: { status: "published" },
});
const stale = await admin.PATCH("/v1/posts/{slug}", {
  params: { path: { slug: created.slug }, header: { "If-Match": staffTag } },
  body: { title: "Lost update" },
});

// An anonymous reader comments; a moderator approves it with If-Match.
const submission = await reader.POST("/v1/posts/{slug}/comments", {
  params: { path: { slug: created.slug } },
  body: { body: "Typed *all the way*.", author_name: "Lin", author_email: "lin@example.org" },
});
const submitted = must(
  submission.data,
  `submitted comment (${submission.response.status} ${JSON.stringify(submission.error)})`,
);
const queue = must(
  (
    await moderator.GET("/v1/moderation/comments", {
      params: { query: { post: created.slug } },
    })
  ).data,
  "queue",
);
const held = must(
  queue.items.find((item) => item.id === submitted.id),
  "held comment",
);
const decided = await moderator.PATCH("/v1/moderation/comments/{comment_id}", {
  params: { path: { comment_id: held.id }, header: { "If-Match": held.etag } },
  body: { status: "approved", reason: "Fine" },
});

// The thread shows it.
const thread = must(
  (
    await reader.GET("/v1/posts/{slug}/comments", { params: { path: { slug: created.slug } } })
  ).data,
  "thread",
);

// Register a webhook and read the event feed to its end.
const hook = must(
  (
    await admin.POST("/v1/webhooks", {
      body: { url: "http://127.0.0.1:9/hooks", events: ["post.*", "comment.approved"] },
    })
  ).data,
  "webhook",
);
const types: string[] = [];
let after = 0;
for (;;) {
  const feed = must(
    (await admin.GET("/v1/events", { params: { query: { after, types: "post.*,comment.*" } } }))
      .data,
    "event feed",
  );
  for (const event of feed.items) {
    const post = (event.data as { post?: { slug?: string } } | null)?.post;
    if (post?.slug === created.slug || event.type === "comment.approved") types.push(event.type);
  }
  const last = feed.items[feed.items.length - 1];
  if (!feed.next || !last) break;
  after = last.id;
}

console.log(
  JSON.stringify({
    total: first.total ?? null,
    slugs,
    back: back.items.map((post) => post.slug),
    titleIsString: typeof title === "string",
    revalidated: revalidated.response.status,
    createdStatus: created.status,
    published: published.data?.status ?? null,
    stale: [stale.response.status, stale.error?.type ?? null],
    submitted: submitted.status,
    decided: decided.data?.status ?? null,
    thread: thread.items.map((comment) => [comment.id === submitted.id, comment.author_name]),
    secret: hook.secret.startsWith("whsec_"),
    events: [...new Set(types)].sort(),
  }),
);
