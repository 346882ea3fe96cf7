"""Ghost's own answers, transcribed.

- Example post, author and tag: https://docs.ghost.org/content-api/posts (the
  `welcome-short` example, and the same with `include=tags,authors`).
- Field sets of a current Ghost 5: its Content API end-to-end snapshots,
  https://github.com/TryGhost/Ghost/tree/main/ghost/core/test/e2e-api/content/__snapshots__
  (posts.test.js.snap, pages.test.js.snap, authors.test.js.snap, tags.test.js.snap,
  settings.test.js.snap, key_authentication.test.js.snap), including their
  `meta.pagination` objects and the error for a request without a key.
"""

DOCS_POST = {
    "slug": "welcome-short",
    "id": "5ddc9141c35e7700383b2937",
    "uuid": "a5aa9bd8-ea31-415c-b452-3040dae1e730",
    "title": "Welcome",
    "html": "<p>👋 Welcome, it's great to have you here.</p>",
    "comment_id": "5ddc9141c35e7700383b2937",
    "feature_image": "https://static.ghost.org/v3.0.0/images/welcome-to-ghost.png",
    "feature_image_alt": None,
    "feature_image_caption": None,
    "featured": False,
    "visibility": "public",
    "created_at": "2019-11-26T02:43:13.000+00:00",
    "updated_at": "2019-11-26T02:44:17.000+00:00",
    "published_at": "2019-11-26T02:44:17.000+00:00",
    "custom_excerpt": None,
    "codeinjection_head": None,
    "codeinjection_foot": None,
    "custom_template": None,
    "canonical_url": None,
    "url": "https://docs.ghost.io/welcome-short/",
    "excerpt": "👋 Welcome, it's great to have you here.",
    "reading_time": 0,
    "access": True,
    "og_image": None,
    "og_title": None,
    "og_description": None,
    "twitter_image": None,
    "twitter_title": None,
    "twitter_description": None,
    "meta_title": None,
    "meta_description": None,
    "email_subject": None,
}

DOCS_AUTHOR = {
    "id": "5951f5fca366002ebd5dbef7",
    "name": "Ghost",
    "slug": "ghost",
    "profile_image": "https://demo.ghost.io/content/images/2017/07/ghost-icon.png",
    "cover_image": None,
    "bio": "The professional publishing platform",
    "website": "https://ghost.org",
    "location": None,
    "facebook": "ghost",
    "twitter": "@tryghost",
    "meta_title": None,
    "meta_description": None,
    "url": "https://demo.ghost.io/author/ghost/",
}

DOCS_TAG = {
    "id": "59799bbd6ebb2f00243a33db",
    "name": "Getting Started",
    "slug": "getting-started",
    "description": None,
    "feature_image": None,
    "visibility": "public",
    "meta_title": None,
    "meta_description": None,
    "url": "https://demo.ghost.io/tag/getting-started/",
}

POST_KEYS = {
    "access", "canonical_url", "codeinjection_foot", "codeinjection_head", "comment_id",
    "comments", "created_at", "custom_excerpt", "custom_template", "email_subject", "excerpt",
    "feature_image", "feature_image_alt", "feature_image_caption", "featured", "frontmatter",
    "html", "id", "meta_description", "meta_title", "og_description", "og_image", "og_title",
    "published_at", "reading_time", "slug", "title", "twitter_description", "twitter_image",
    "twitter_title", "updated_at", "url", "uuid", "visibility",
}  # fmt: skip
PAGE_KEYS = POST_KEYS - {"email_subject"}
AUTHOR_KEYS = {
    "bio", "bluesky", "cover_image", "facebook", "id", "instagram", "linkedin", "location",
    "mastodon", "meta_description", "meta_title", "name", "profile_image", "slug", "threads",
    "tiktok", "twitter", "url", "website", "youtube",
}  # fmt: skip
TAG_KEYS = {
    "accent_color", "canonical_url", "codeinjection_foot", "codeinjection_head", "description",
    "feature_image", "id", "meta_description", "meta_title", "name", "og_description",
    "og_image", "og_title", "slug", "twitter_description", "twitter_image", "twitter_title",
    "url", "visibility",
}  # fmt: skip
SETTINGS_KEYS = {
    "accent_color", "codeinjection_foot", "codeinjection_head", "comments_enabled",
    "cover_image", "description", "facebook", "firstpromoter_account", "icon", "lang",
    "locale", "logo", "members_enabled", "members_invite_only", "members_support_address",
    "meta_description", "meta_title", "navigation", "og_description", "og_image", "og_title",
    "paid_members_enabled", "portal_button", "portal_button_icon",
    "portal_button_signup_text", "portal_button_style", "portal_name", "portal_plans",
    "portal_signup_checkbox_required", "portal_signup_terms_html", "recommendations_enabled",
    "secondary_navigation", "timezone", "title", "twitter", "twitter_description",
    "twitter_image", "twitter_title", "url", "version",
}  # fmt: skip

# meta.pagination as Ghost answered: 11 posts; tags with limit=3; tags with limit=all.
PAGINATION_ONE_PAGE = {"limit": 15, "next": None, "page": 1, "pages": 1, "prev": None, "total": 11}
PAGINATION_LIMIT_3 = {"limit": 3, "next": 2, "page": 1, "pages": 19, "prev": None, "total": 56}
PAGINATION_ALL = {"limit": "all", "next": None, "page": 1, "pages": 1, "prev": None, "total": 4}

NO_KEY_ERROR = {
    "code": None,
    "context": "Unable to determine the authenticated member or integration. Check the supplied "
    "Content API Key and ensure cookies are being passed through if member auth is failing.",
    "details": None,
    "ghostErrorCode": None,
    "help": None,
    "message": "Authorization failed",
    "property": None,
    "type": "NoPermissionError",
}
