"""WordPress's own answers, transcribed from the fixture WordPress generates from a real
install for its JavaScript client's tests:

https://github.com/WordPress/wordpress-develop/blob/trunk/tests/qunit/fixtures/wp-api-generated.js
(`mockedApiResponse.PostsCollection`, `PagesCollection`, `MediaCollection`,
`UsersCollection`, `TagsCollection`, `CategoriesCollection`, `CommentsCollection`,
`TypesCollection`, `TaxonomiesCollection`, `Schema`), site "Test Blog" at
http://example.org without pretty permalinks (links in the `?rest_route=` form).

The fixture's `meta` objects hold meta keys its test suite registers; a site without
registered meta answers `[]`, which is what we compare against instead.
"""

SITE = {
    "name": "Test Blog",
    "description": "Just another WordPress site",
    "home": "http://example.org/",
    "api_root": "http://example.org/index.php?rest_route=/",
}
API = "http://example.org/index.php?rest_route="
CURIES = [{"name": "wp", "href": "https://api.w.org/{rel}", "templated": True}]

POST = {
    "id": 4,
    "date": "2017-02-14T00:00:00",
    "date_gmt": "2017-02-14T00:00:00",
    "guid": {"rendered": "http://example.org/?p=4"},
    "modified": "2017-02-14T00:00:00",
    "modified_gmt": "2017-02-14T00:00:00",
    "slug": "restapi-client-fixture-post",
    "status": "publish",
    "type": "post",
    "link": "http://example.org/?p=4",
    "title": {"rendered": "REST API Client Fixture: Post"},
    "content": {"rendered": "<p>Updated post content.</p>\n", "protected": False},
    "excerpt": {"rendered": "<p>REST API Client Fixture: Post</p>\n", "protected": False},
    "author": 0,
    "featured_media": 0,
    "comment_status": "open",
    "ping_status": "open",
    "sticky": False,
    "template": "",
    "format": "standard",
    "meta": {"meta_key": "meta_value"},
    "categories": [1],
    "tags": [],
    "_links": {
        "self": [{"href": f"{API}/wp/v2/posts/4"}],
        "collection": [{"href": f"{API}/wp/v2/posts"}],
        "about": [{"href": f"{API}/wp/v2/types/post"}],
        "replies": [{"embeddable": True, "href": f"{API}%2Fwp%2Fv2%2Fcomments&post=4"}],
        "version-history": [{"count": 2, "href": f"{API}/wp/v2/posts/4/revisions"}],
        "predecessor-version": [{"id": 6, "href": f"{API}/wp/v2/posts/4/revisions/6"}],
        "wp:attachment": [{"href": f"{API}%2Fwp%2Fv2%2Fmedia&parent=4"}],
        "wp:term": [
            {
                "taxonomy": "category",
                "embeddable": True,
                "href": f"{API}%2Fwp%2Fv2%2Fcategories&post=4",
            },
            {"taxonomy": "post_tag", "embeddable": True, "href": f"{API}%2Fwp%2Fv2%2Ftags&post=4"},
        ],
        "curies": CURIES,
    },
}

PAGE = {
    "id": 7,
    "date": "2017-02-14T00:00:00",
    "date_gmt": "2017-02-14T00:00:00",
    "guid": {"rendered": "http://example.org/?page_id=7"},
    "modified": "2017-02-14T00:00:00",
    "modified_gmt": "2017-02-14T00:00:00",
    "slug": "restapi-client-fixture-page",
    "status": "publish",
    "type": "page",
    "link": "http://example.org/?page_id=7",
    "title": {"rendered": "REST API Client Fixture: Page"},
    "content": {"rendered": "<p>Updated page content.</p>\n", "protected": False},
    "excerpt": {"rendered": "<p>REST API Client Fixture: Page</p>\n", "protected": False},
    "author": 0,
    "featured_media": 0,
    "parent": 0,
    "menu_order": 0,
    "comment_status": "closed",
    "ping_status": "closed",
    "template": "",
    "meta": {"meta_key": ""},
    "_links": {
        "self": [{"href": f"{API}/wp/v2/pages/7"}],
        "collection": [{"href": f"{API}/wp/v2/pages"}],
        "about": [{"href": f"{API}/wp/v2/types/page"}],
        "replies": [{"embeddable": True, "href": f"{API}%2Fwp%2Fv2%2Fcomments&post=7"}],
        "version-history": [{"count": 2, "href": f"{API}/wp/v2/pages/7/revisions"}],
        "predecessor-version": [{"id": 9, "href": f"{API}/wp/v2/pages/7/revisions/9"}],
        "wp:attachment": [{"href": f"{API}%2Fwp%2Fv2%2Fmedia&parent=7"}],
        "curies": CURIES,
    },
}

MEDIA = {
    "id": 10,
    "date": "2017-02-14T00:00:00",
    "date_gmt": "2017-02-14T00:00:00",
    "guid": {"rendered": "http://example.org/?attachment_id=10"},
    "modified": "2017-02-14T00:00:00",
    "modified_gmt": "2017-02-14T00:00:00",
    "slug": "restapi-client-fixture-attachment",
    "status": "inherit",
    "type": "attachment",
    "link": "http://example.org/?attachment_id=10",
    "title": {"rendered": "REST API Client Fixture: Attachment"},
    "author": 0,
    "comment_status": "open",
    "ping_status": "closed",
    "template": "",
    "meta": {"meta_key": ""},
    "description": {"rendered": '<p class="attachment"><!-- <a...><img.../></a> --></p>'},
    "caption": {"rendered": "<p>A sample caption</p>\n"},
    "alt_text": "",
    "media_type": "image",
    "mime_type": "image/jpeg",
    "media_details": {},
    "post": None,
    "source_url": "http://example.org/wp-content/uploads//tmp/canola.jpg",
    "_links": {
        "self": [{"href": f"{API}/wp/v2/media/10"}],
        "collection": [{"href": f"{API}/wp/v2/media"}],
        "about": [{"href": f"{API}/wp/v2/types/attachment"}],
        "replies": [{"embeddable": True, "href": f"{API}%2Fwp%2Fv2%2Fcomments&post=10"}],
    },
}

USER = {
    "id": 1,
    "name": "admin",
    "url": "http://example.org",
    "description": "",
    "link": "http://example.org/?author=1",
    "slug": "admin",
    "avatar_urls": {
        "24": "http://0.gravatar.com/avatar/96614ec98aa0c0d2ee75796dced6df54?s=24&d=mm&r=g",
        "48": "http://0.gravatar.com/avatar/96614ec98aa0c0d2ee75796dced6df54?s=48&d=mm&r=g",
        "96": "http://0.gravatar.com/avatar/96614ec98aa0c0d2ee75796dced6df54?s=96&d=mm&r=g",
    },
    "meta": {"meta_key": "meta_value"},
    "_links": {
        "self": [{"href": f"{API}/wp/v2/users/1"}],
        "collection": [{"href": f"{API}/wp/v2/users"}],
    },
}

TAG = {
    "id": 2,
    "count": 0,
    "description": "REST API Client Fixture: Tag",
    "link": "http://example.org/?tag=restapi-client-fixture-tag",
    "name": "REST API Client Fixture: Tag",
    "slug": "restapi-client-fixture-tag",
    "taxonomy": "post_tag",
    "meta": {"test_single": "", "test_multi": [], "meta_key": "meta_value", "test_tag_meta": ""},
    "_links": {
        "self": [{"href": f"{API}/wp/v2/tags/2"}],
        "collection": [{"href": f"{API}/wp/v2/tags"}],
        "about": [{"href": f"{API}/wp/v2/taxonomies/post_tag"}],
        "wp:post_type": [{"href": f"{API}%2Fwp%2Fv2%2Fposts&tags=2"}],
        "curies": CURIES,
    },
}

CATEGORY = {
    "id": 1,
    "count": 1,
    "description": "",
    "link": "http://example.org/?cat=1",
    "name": "Uncategorized",
    "slug": "uncategorized",
    "taxonomy": "category",
    "parent": 0,
    "meta": {
        "test_single": "",
        "test_multi": [],
        "meta_key": "",
        "test_cat_single": "",
        "test_cat_multi": [],
    },
    "_links": {
        "self": [{"href": f"{API}/wp/v2/categories/1"}],
        "collection": [{"href": f"{API}/wp/v2/categories"}],
        "about": [{"href": f"{API}/wp/v2/taxonomies/category"}],
        "wp:post_type": [{"href": f"{API}%2Fwp%2Fv2%2Fposts&categories=1"}],
        "curies": CURIES,
    },
}

COMMENT = {
    "id": 2,
    "post": 4,
    "parent": 0,
    "author": 0,
    "author_name": "Internet of something or other",
    "author_url": "http://lights.example.org/",
    "date": "2017-02-14T00:00:00",
    "date_gmt": "2017-02-14T00:00:00",
    "content": {"rendered": "<p>This is a comment</p>\n"},
    "link": "http://example.org/?p=4#comment-2",
    "status": "approved",
    "type": "comment",
    "author_avatar_urls": {
        "24": "http://2.gravatar.com/avatar/bd7c2b505bcf39cc71cfee564c614956?s=24&d=mm&r=g",
        "48": "http://2.gravatar.com/avatar/bd7c2b505bcf39cc71cfee564c614956?s=48&d=mm&r=g",
        "96": "http://2.gravatar.com/avatar/bd7c2b505bcf39cc71cfee564c614956?s=96&d=mm&r=g",
    },
    "meta": {"meta_key": "meta_value"},
    "_links": {
        "self": [{"href": f"{API}/wp/v2/comments/2"}],
        "collection": [{"href": f"{API}/wp/v2/comments"}],
        "up": [{"embeddable": True, "post_type": "post", "href": f"{API}/wp/v2/posts/4"}],
    },
}


def _type_links(base):
    return {
        "collection": [{"href": f"{API}/wp/v2/types"}],
        "wp:items": [{"href": f"{API}/wp/v2/{base}"}],
        "curies": CURIES,
    }


TYPES = {
    "post": {
        "description": "",
        "hierarchical": False,
        "name": "Posts",
        "slug": "post",
        "taxonomies": ["category", "post_tag"],
        "rest_base": "posts",
        "_links": _type_links("posts"),
    },
    "page": {
        "description": "",
        "hierarchical": True,
        "name": "Pages",
        "slug": "page",
        "taxonomies": [],
        "rest_base": "pages",
        "_links": _type_links("pages"),
    },
    "attachment": {
        "description": "",
        "hierarchical": False,
        "name": "Media",
        "slug": "attachment",
        "taxonomies": [],
        "rest_base": "media",
        "_links": _type_links("media"),
    },
}


def _taxonomy_links(base):
    return {
        "collection": [{"href": f"{API}/wp/v2/taxonomies"}],
        "wp:items": [{"href": f"{API}/wp/v2/{base}"}],
        "curies": CURIES,
    }


TAXONOMIES = {
    "category": {
        "name": "Categories",
        "slug": "category",
        "description": "",
        "types": ["post"],
        "hierarchical": True,
        "rest_base": "categories",
        "_links": _taxonomy_links("categories"),
    },
    "post_tag": {
        "name": "Tags",
        "slug": "post_tag",
        "description": "",
        "types": ["post"],
        "hierarchical": False,
        "rest_base": "tags",
        "_links": _taxonomy_links("tags"),
    },
}

# mockedApiResponse.Schema: the top of the index and three of its routes.
INDEX_TOP = {
    "name": "Test Blog",
    "description": "Just another WordPress site",
    "url": "http://example.org",
    "home": "http://example.org",
    "gmt_offset": "0",
    "timezone_string": "",
    "authentication": [],
}
INDEX_ROUTE = {
    "namespace": "",
    "methods": ["GET"],
    "endpoints": [
        {"methods": ["GET"], "args": {"context": {"default": "view", "required": False}}}
    ],
    "_links": {"self": f"{API}/"},
}
NAMESPACE_ROUTE = {
    "namespace": "wp/v2",
    "methods": ["GET"],
    "endpoints": [
        {
            "methods": ["GET"],
            "args": {
                "namespace": {"default": "wp/v2", "required": False},
                "context": {"default": "view", "required": False},
            },
        }
    ],
    "_links": {"self": f"{API}/wp/v2"},
}
# The GET arguments of /wp/v2/posts that we serve, as WordPress registers them.
POSTS_ARGS = {
    "context": {
        "description": "Scope under which the request is made; "
        "determines fields present in response.",
        "type": "string",
        "enum": ["view", "embed", "edit"],
        "default": "view",
        "required": False,
    },
    "page": {
        "description": "Current page of the collection.",
        "type": "integer",
        "default": 1,
        "minimum": 1,
        "required": False,
    },
    "per_page": {
        "description": "Maximum number of items to be returned in result set.",
        "type": "integer",
        "default": 10,
        "minimum": 1,
        "maximum": 100,
        "required": False,
    },
    "search": {
        "description": "Limit results to those matching a string.",
        "type": "string",
        "required": False,
    },
    "after": {
        "description": "Limit response to posts published after a given ISO8601 compliant date.",
        "type": "string",
        "format": "date-time",
        "required": False,
    },
    "author": {
        "description": "Limit result set to posts assigned to specific authors.",
        "type": "array",
        "items": {"type": "integer"},
        "default": [],
        "required": False,
    },
    "before": {
        "description": "Limit response to posts published before a given ISO8601 compliant date.",
        "type": "string",
        "format": "date-time",
        "required": False,
    },
    "exclude": {
        "description": "Ensure result set excludes specific IDs.",
        "type": "array",
        "items": {"type": "integer"},
        "default": [],
        "required": False,
    },
    "include": {
        "description": "Limit result set to specific IDs.",
        "type": "array",
        "items": {"type": "integer"},
        "default": [],
        "required": False,
    },
    "offset": {
        "description": "Offset the result set by a specific number of items.",
        "type": "integer",
        "required": False,
    },
    "order": {
        "description": "Order sort attribute ascending or descending.",
        "type": "string",
        "default": "desc",
        "enum": ["asc", "desc"],
        "required": False,
    },
    "orderby": {
        "description": "Sort collection by post attribute.",
        "type": "string",
        "default": "date",
        "enum": [
            "author",
            "date",
            "id",
            "include",
            "modified",
            "parent",
            "relevance",
            "slug",
            "include_slugs",
            "title",
        ],
        "required": False,
    },
    "slug": {
        "description": "Limit result set to posts with one or more specific slugs.",
        "type": "array",
        "items": {"type": "string"},
        "required": False,
    },
    "sticky": {
        "description": "Limit result set to items that are sticky.",
        "type": "boolean",
        "required": False,
    },
}
