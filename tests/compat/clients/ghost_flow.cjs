// What a Ghost frontend does with `@tryghost/content-api`, against any site that
// claims the Ghost Content API: browse posts with include, filter, limit and page,
// read one by slug and by id, list authors, tags, pages and settings.
//
// Usage: node ghost_flow.cjs <site url without trailing slash> <content api key>
// Exits non-zero with the failed assertion when the site does not behave like Ghost
// for this client. Prints a JSON summary on success.
'use strict';

const assert = require('node:assert/strict');
const GhostContentAPI = require('@tryghost/content-api');

const GHOST_ID = /^[0-9a-f]{24}$/;

async function main() {
    const [url, key] = process.argv.slice(2);
    assert.ok(url && key, 'usage: node ghost_flow.cjs <url> <key>');
    const api = new GhostContentAPI({url, key, version: 'v5.0'});

    const tags = await api.tags.browse({include: 'count.posts', limit: 'all'});
    assert.ok(Array.isArray(tags) && tags.meta.pagination, 'tags with meta.pagination');
    const used = tags.find((tag) => tag.count && tag.count.posts > 0);
    assert.ok(used, 'a tag with posts');

    const filter = `tag:${used.slug}`;
    const first = await api.posts.browse({include: 'tags,authors', filter, limit: 1, page: 1});
    const pagination = first.meta.pagination;
    assert.equal(pagination.page, 1);
    assert.equal(pagination.limit, 1);
    assert.equal(pagination.total, used.count.posts, 'filter by tag finds its posts');
    const seen = [...first];
    for (let page = 2; page <= pagination.pages; page += 1) {
        const more = await api.posts.browse({include: 'tags,authors', filter, limit: 1, page});
        assert.equal(more.meta.pagination.page, page);
        seen.push(...more);
    }
    assert.equal(seen.length, pagination.total);
    for (const post of seen) {
        assert.match(post.id, GHOST_ID);
        assert.ok(post.tags.some((tag) => tag.slug === used.slug), 'filtered by tag');
        assert.ok(Array.isArray(post.authors) && 'primary_author' in post && 'primary_tag' in post);
        assert.equal(typeof post.html, 'string');
    }

    const bySlug = await api.posts.read({slug: seen[0].slug}, {include: 'tags,authors'});
    assert.equal(bySlug.id, seen[0].id, 'read by slug gives the object, not an array');
    const byId = await api.posts.read({id: bySlug.id}, {formats: 'html,plaintext'});
    assert.equal(byId.slug, bySlug.slug);
    assert.equal(typeof byId.plaintext, 'string');

    const authors = await api.authors.browse({limit: 'all'});
    assert.ok(authors.length > 0 && authors.every((author) => GHOST_ID.test(author.id)));
    const pages = await api.pages.browse();
    assert.ok(Array.isArray(pages));
    const settings = await api.settings.browse();
    assert.equal(typeof settings.title, 'string');

    await assert.rejects(api.posts.browse({filter: 'tag:('}), (error) => {
        assert.equal(error.name, 'BadRequestError');
        assert.equal(error.response.status, 400);
        return true;
    });
    await assert.rejects(api.posts.read({slug: 'no-such-post-anywhere'}), (error) => {
        assert.equal(error.name, 'NotFoundError');
        return true;
    });

    console.log(JSON.stringify({
        filter,
        posts: seen.length,
        authors: authors.length,
        tags: tags.length,
        pages: pages.length,
        settings: settings.title,
    }));
}

main().catch((error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
});
