// What a WordPress frontend does with `wpapi` (node-wpapi), against any site that
// claims the WordPress REST API: discover it, page through posts, read one by slug
// with _embed, list tags and categories, read and post comments.
//
// Usage: node wpapi_flow.cjs <site url>     (e.g. http://127.0.0.1:8000/)
// Exits non-zero with the failed assertion when the site does not behave like
// WordPress for this client. Prints a JSON summary on success.
'use strict';

const assert = require('node:assert/strict');
const WPAPI = require('wpapi');

async function pageThrough(request) {
    let page = await request.get();
    const paging = page._paging;
    const items = [...page];
    let pages = 1;
    while (page._paging && page._paging.next) {
        page = await page._paging.next.get();
        items.push(...page);
        pages += 1;
    }
    return {items, paging, pages};
}

async function main() {
    const site = process.argv[2];
    assert.ok(site, 'usage: node wpapi_flow.cjs <site url>');

    // Discovery: HEAD on the site, Link rel="https://api.w.org/", then GET the index.
    const wp = await WPAPI.discover(site);
    const endpoint = wp._options.endpoint;
    assert.match(endpoint, /^https?:\/\//);

    const {items: posts, paging, pages} = await pageThrough(wp.posts().perPage(2));
    assert.ok(posts.length > 0, 'the site has posts');
    assert.equal(posts.length, paging ? paging.total : posts.length, 'X-WP-Total matches');
    assert.equal(pages, paging ? paging.totalPages : 1, 'X-WP-TotalPages matches');
    assert.equal(new Set(posts.map((p) => p.id)).size, posts.length, 'no post twice');
    for (const post of posts) {
        assert.equal(typeof post.id, 'number');
        assert.equal(typeof post.title.rendered, 'string');
        assert.equal(typeof post.content.rendered, 'string');
        assert.equal(post.type, 'post');
        assert.ok(post._links && post._links.self, 'links');
    }

    const [one] = await wp.posts().slug(posts[0].slug).embed().get();
    assert.equal(one.id, posts[0].id);
    assert.ok(one._embedded, '_embedded with _embed');
    if (one.author) {
        assert.equal(one._embedded.author[0].id, one.author);
    }
    const byId = await wp.posts().id(one.id).get();
    assert.equal(byId.slug, one.slug);

    const tags = await wp.tags().perPage(100).get();
    const categories = await wp.categories().perPage(100).get();
    for (const term of [...tags, ...categories]) {
        assert.equal(typeof term.id, 'number');
        assert.ok(['post_tag', 'category'].includes(term.taxonomy));
    }
    if (tags.length) {
        const tagged = await wp.posts().tags(tags[0].id).get();
        for (const post of tagged) {
            assert.ok(post.tags.includes(tags[0].id), 'posts filtered by tag');
        }
    }

    const comments = await wp.comments().forPost(one.id).get();
    for (const comment of comments) {
        assert.equal(comment.post, one.id);
        assert.equal(typeof comment.content.rendered, 'string');
    }

    const created = await wp.comments().create({
        post: one.id,
        author_name: 'wpapi reader',
        author_email: 'reader@example.org',
        content: 'Posted through wpapi, as a WordPress comment form would.',
    });
    assert.equal(created.post, one.id);
    assert.ok(['hold', 'approved'].includes(created.status), `status ${created.status}`);

    console.log(JSON.stringify({
        endpoint,
        posts: posts.length,
        pages,
        embedded: Object.keys(one._embedded),
        tags: tags.length,
        categories: categories.length,
        comments: comments.length,
        created: {id: created.id, status: created.status},
    }));
}

main().catch((error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
});
