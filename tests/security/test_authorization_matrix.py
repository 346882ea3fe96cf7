"""Every operation in openapi.yaml x every kind of caller: 401, 403 or through.

A new operation without an entry in ACCESS fails this test: decide who may call it.
"""

from pathlib import Path

import pytest
import yaml

from api.auth.policy import Role
from api.demo.loader import AUTHOR, POST_SLUG, load_demo
from api.infra.database import db
from api.web.ratelimits import limiter
from tests.conftest import bearer

PUBLIC = "public"  # no token needed; a presented token must still be valid
OPEN = "open"  # operations endpoints outside /v1: credentials are ignored
# The design's roles, written out here rather than read from api/auth/policy.py, so a
# wrong change to the policy fails this test.
ADMIN = frozenset({"admin"})
CONTENT = frozenset({"admin", "editor"})
OWN_POSTS = frozenset({"admin", "editor", "author"})  # the author token writes its own
MODERATION = frozenset({"admin", "moderator"})
EVENT_FEED = frozenset({"admin", "event-reader"})
MEDIA = frozenset({"admin", "editor", "author"})  # upload, list, read
# Readers: anonymous, or with an OIDC token (tests/comments/test_oidc.py); a staff token
# does not identify a commenter, so it is a 401 there like any other wrong token.
COMMENTER = "commenter"
# The commenter's own comment, by its edit token: reads are public for approved comments,
# changes need the edit token (tests/comments/test_edit_token.py).
EDIT_READ = "edit token, read"
EDIT_WRITE = "edit token, write"
# The WordPress and Ghost APIs (docs/compat.md) serve everyone as an anonymous reader:
# our bearer tokens neither unlock nor break them (Ghost's own credential is its `key`
# parameter, tests/compat). Every caller gets what the anonymous caller gets.
FOREIGN = "foreign API"

ACCESS = {
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/openapi.yaml"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/v1/posts"): PUBLIC,
    ("POST", "/v1/posts"): OWN_POSTS,
    ("GET", "/v1/posts/{slug}"): PUBLIC,
    ("PATCH", "/v1/posts/{slug}"): OWN_POSTS,
    ("DELETE", "/v1/posts/{slug}"): OWN_POSTS,
    ("GET", "/v1/pages"): PUBLIC,
    ("POST", "/v1/pages"): OWN_POSTS,
    ("GET", "/v1/pages/{slug}"): PUBLIC,
    ("PATCH", "/v1/pages/{slug}"): OWN_POSTS,
    ("DELETE", "/v1/pages/{slug}"): OWN_POSTS,
    ("GET", "/v1/media"): MEDIA,
    ("POST", "/v1/media"): MEDIA,
    ("GET", "/v1/media/{media_id}"): MEDIA,
    ("DELETE", "/v1/media/{media_id}"): CONTENT,
    ("GET", "/v1/authors"): PUBLIC,
    ("POST", "/v1/authors"): CONTENT,
    ("GET", "/v1/authors/{slug}"): PUBLIC,
    ("PATCH", "/v1/authors/{slug}"): CONTENT,
    ("DELETE", "/v1/authors/{slug}"): CONTENT,
    ("GET", "/v1/tags"): PUBLIC,
    ("POST", "/v1/tags"): CONTENT,
    ("GET", "/v1/tags/{slug}"): PUBLIC,
    ("PATCH", "/v1/tags/{slug}"): CONTENT,
    ("DELETE", "/v1/tags/{slug}"): CONTENT,
    ("GET", "/v1/posts/{slug}/linkbacks"): OWN_POSTS,
    ("POST", "/xmlrpc"): OPEN,
    ("POST", "/v1/webmention"): PUBLIC,
    ("GET", "/v1/posts/{slug}/comments"): PUBLIC,
    ("POST", "/v1/posts/{slug}/comments"): COMMENTER,
    ("GET", "/v1/comments/{comment_id}"): EDIT_READ,
    ("PATCH", "/v1/comments/{comment_id}"): EDIT_WRITE,
    ("DELETE", "/v1/comments/{comment_id}"): EDIT_WRITE,
    ("GET", "/v1/settings/discussion"): ADMIN,
    ("PATCH", "/v1/settings/discussion"): ADMIN,
    ("GET", "/v1/events"): EVENT_FEED,
    ("GET", "/v1/events/{event_id}/deliveries"): ADMIN,
    ("GET", "/v1/webhooks"): ADMIN,
    ("POST", "/v1/webhooks"): ADMIN,
    ("GET", "/v1/webhooks/{endpoint_id}"): ADMIN,
    ("PATCH", "/v1/webhooks/{endpoint_id}"): ADMIN,
    ("DELETE", "/v1/webhooks/{endpoint_id}"): ADMIN,
    ("POST", "/v1/webhooks/{endpoint_id}/rotate-secret"): ADMIN,
    ("POST", "/v1/webhooks/{endpoint_id}/test"): ADMIN,
    ("GET", "/v1/webhooks/{endpoint_id}/deliveries"): ADMIN,
    ("GET", "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}"): ADMIN,
    ("POST", "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend"): ADMIN,
    ("POST", "/v1/webhooks/{endpoint_id}/deliveries/resend-failed"): ADMIN,
    ("GET", "/v1/cdn/purges"): ADMIN,
    ("GET", "/v1/privacy/commenters"): ADMIN,
    ("POST", "/v1/privacy/erasures"): ADMIN,
    ("GET", "/v1/tokens"): ADMIN,
    ("POST", "/v1/tokens"): ADMIN,
    ("DELETE", "/v1/tokens/{token_id}"): ADMIN,
    ("GET", "/v1/moderation/comments"): MODERATION,
    ("GET", "/v1/moderation/comments/{comment_id}"): MODERATION,
    ("PATCH", "/v1/moderation/comments/{comment_id}"): MODERATION,
    ("POST", "/v1/moderation/comments/batch"): MODERATION,
    ("GET", "/v1/moderation/counts"): MODERATION,
    ("POST", "/v1/moderation/claims"): MODERATION,
    ("DELETE", "/v1/moderation/claims"): MODERATION,
    ("GET", "/v1/moderation/log"): MODERATION,
    # The WordPress REST API and the Ghost Content API (docs/compat.md).
    ("GET", "/wp-json"): FOREIGN,
    ("GET", "/wp-json/wp/v2/posts"): FOREIGN,
    ("GET", "/wp-json/wp/v2/posts/{id}"): FOREIGN,
    ("GET", "/wp-json/wp/v2/pages"): FOREIGN,
    ("GET", "/wp-json/wp/v2/pages/{id}"): FOREIGN,
    ("GET", "/wp-json/wp/v2/users"): FOREIGN,
    ("GET", "/wp-json/wp/v2/users/{id}"): FOREIGN,
    ("GET", "/wp-json/wp/v2/tags"): FOREIGN,
    ("GET", "/wp-json/wp/v2/tags/{id}"): FOREIGN,
    ("GET", "/wp-json/wp/v2/categories"): FOREIGN,
    ("GET", "/wp-json/wp/v2/categories/{id}"): FOREIGN,
    ("GET", "/wp-json/wp/v2/comments"): FOREIGN,
    ("POST", "/wp-json/wp/v2/comments"): FOREIGN,
    ("GET", "/wp-json/wp/v2/comments/{id}"): FOREIGN,
    ("GET", "/wp-json/wp/v2/media"): FOREIGN,
    ("GET", "/wp-json/wp/v2/media/{id}"): FOREIGN,
    ("GET", "/ghost/api/content/posts"): FOREIGN,
    ("GET", "/ghost/api/content/posts/{id}"): FOREIGN,
    ("GET", "/ghost/api/content/posts/slug/{slug}"): FOREIGN,
    ("GET", "/ghost/api/content/pages"): FOREIGN,
    ("GET", "/ghost/api/content/pages/{id}"): FOREIGN,
    ("GET", "/ghost/api/content/pages/slug/{slug}"): FOREIGN,
    ("GET", "/ghost/api/content/authors"): FOREIGN,
    ("GET", "/ghost/api/content/authors/{id}"): FOREIGN,
    ("GET", "/ghost/api/content/authors/slug/{slug}"): FOREIGN,
    ("GET", "/ghost/api/content/tags"): FOREIGN,
    ("GET", "/ghost/api/content/tags/{id}"): FOREIGN,
    ("GET", "/ghost/api/content/tags/slug/{slug}"): FOREIGN,
    ("GET", "/ghost/api/content/settings"): FOREIGN,
    ("GET", "/v1/content-keys"): ADMIN,
    ("POST", "/v1/content-keys"): ADMIN,
    ("DELETE", "/v1/content-keys/{key_id}"): ADMIN,
    # Revisions, pending drafts and preview links (docs/revisions.md).
    ("GET", "/v1/posts/{slug}/revisions"): OWN_POSTS,
    ("GET", "/v1/posts/{slug}/revisions/{number}"): OWN_POSTS,
    ("GET", "/v1/posts/{slug}/revisions/{number}/diff"): OWN_POSTS,
    ("POST", "/v1/posts/{slug}/revisions/{number}/restore"): OWN_POSTS,
    ("GET", "/v1/posts/{slug}/draft"): OWN_POSTS,
    ("PUT", "/v1/posts/{slug}/draft"): OWN_POSTS,
    ("DELETE", "/v1/posts/{slug}/draft"): OWN_POSTS,
    ("POST", "/v1/posts/{slug}/draft/publish"): OWN_POSTS,
    ("GET", "/v1/posts/{slug}/preview-links"): OWN_POSTS,
    ("POST", "/v1/posts/{slug}/preview-links"): OWN_POSTS,
    ("DELETE", "/v1/posts/{slug}/preview-links/{link_id}"): OWN_POSTS,
    ("GET", "/v1/pages/{slug}/revisions"): OWN_POSTS,
    ("GET", "/v1/pages/{slug}/revisions/{number}"): OWN_POSTS,
    ("GET", "/v1/pages/{slug}/revisions/{number}/diff"): OWN_POSTS,
    ("POST", "/v1/pages/{slug}/revisions/{number}/restore"): OWN_POSTS,
    ("GET", "/v1/pages/{slug}/draft"): OWN_POSTS,
    ("PUT", "/v1/pages/{slug}/draft"): OWN_POSTS,
    ("DELETE", "/v1/pages/{slug}/draft"): OWN_POSTS,
    ("POST", "/v1/pages/{slug}/draft/publish"): OWN_POSTS,
    ("GET", "/v1/pages/{slug}/preview-links"): OWN_POSTS,
    ("POST", "/v1/pages/{slug}/preview-links"): OWN_POSTS,
    ("DELETE", "/v1/pages/{slug}/preview-links/{link_id}"): OWN_POSTS,
    ("GET", "/v1/preview/{token}"): PUBLIC,  # the link is the credential (404 if bad)
    ("GET", "/v1/moderation/blocks"): MODERATION,
    ("POST", "/v1/moderation/blocks"): MODERATION,
    ("GET", "/v1/moderation/blocks/{block_id}"): MODERATION,
    ("PATCH", "/v1/moderation/blocks/{block_id}"): MODERATION,
    ("DELETE", "/v1/moderation/blocks/{block_id}"): MODERATION,
    ("POST", "/v1/moderation/comments/{comment_id}/block"): MODERATION,
    ("GET", "/v1/posts/{slug}/comment-token"): PUBLIC,
    ("GET", "/v1/feeds/posts.atom"): PUBLIC,
    ("GET", "/v1/feeds/posts.json"): PUBLIC,
    ("GET", "/v1/feeds/comments.atom"): PUBLIC,
    ("GET", "/v1/feeds/comments.json"): PUBLIC,
    # The links in notification mails: the signed token is the credential.
    ("GET", "/v1/notifications/confirm"): PUBLIC,
    ("GET", "/v1/notifications/unsubscribe"): PUBLIC,
    ("POST", "/v1/notifications/unsubscribe"): PUBLIC,
    ("GET", "/v1/notifications/deliveries"): ADMIN,
    ("POST", "/v1/posts/{slug}/subscriptions"): PUBLIC,
}

PATH_VALUES = {
    "/v1/posts/{slug}": {"slug": POST_SLUG},
    "/v1/posts/{slug}/linkbacks": {"slug": POST_SLUG},
    "/v1/pages/{slug}": {"slug": "about"},  # none in the demo: 404 is "through"
    "/v1/media/{media_id}": {"media_id": "1"},
    "/v1/posts/{slug}/comments": {"slug": POST_SLUG},
    "/v1/comments/{comment_id}": {"comment_id": "1"},  # the demo's first, approved comment
    "/v1/authors/{slug}": {"slug": AUTHOR["slug"]},
    "/v1/tags/{slug}": {"slug": "cybersecurity"},
    "/v1/tokens/{token_id}": {"token_id": "999999"},
    "/v1/events/{event_id}/deliveries": {"event_id": "1"},
    "/v1/webhooks/{endpoint_id}": {"endpoint_id": "1"},
    "/v1/webhooks/{endpoint_id}/rotate-secret": {"endpoint_id": "1"},
    "/v1/webhooks/{endpoint_id}/test": {"endpoint_id": "1"},
    "/v1/webhooks/{endpoint_id}/deliveries": {"endpoint_id": "1"},
    "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}": {"endpoint_id": "1", "delivery_id": "1"},
    "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend": {
        "endpoint_id": "1",
        "delivery_id": "1",
    },
    "/v1/webhooks/{endpoint_id}/deliveries/resend-failed": {"endpoint_id": "1"},
    "/v1/moderation/comments/{comment_id}": {"comment_id": "1"},
    "/v1/posts/{slug}/revisions": {"slug": POST_SLUG},
    "/v1/posts/{slug}/revisions/{number}": {"slug": POST_SLUG, "number": "1"},
    "/v1/posts/{slug}/revisions/{number}/diff": {"slug": POST_SLUG, "number": "1"},
    "/v1/posts/{slug}/revisions/{number}/restore": {"slug": POST_SLUG, "number": "1"},
    "/v1/posts/{slug}/draft": {"slug": POST_SLUG},
    "/v1/posts/{slug}/draft/publish": {"slug": POST_SLUG},
    "/v1/posts/{slug}/preview-links": {"slug": POST_SLUG},
    "/v1/posts/{slug}/preview-links/{link_id}": {"slug": POST_SLUG, "link_id": "1"},
    "/v1/pages/{slug}/revisions": {"slug": "about"},
    "/v1/pages/{slug}/revisions/{number}": {"slug": "about", "number": "1"},
    "/v1/pages/{slug}/revisions/{number}/diff": {"slug": "about", "number": "1"},
    "/v1/pages/{slug}/revisions/{number}/restore": {"slug": "about", "number": "1"},
    "/v1/pages/{slug}/draft": {"slug": "about"},
    "/v1/pages/{slug}/draft/publish": {"slug": "about"},
    "/v1/pages/{slug}/preview-links": {"slug": "about"},
    "/v1/pages/{slug}/preview-links/{link_id}": {"slug": "about", "link_id": "1"},
    "/v1/preview/{token}": {"token": "not-a-token"},
    "/v1/content-keys/{key_id}": {"key_id": "1"},
    "/v1/moderation/comments/{comment_id}/block": {"comment_id": "1"},
    "/v1/moderation/blocks/{block_id}": {"block_id": "999999"},
    "/v1/posts/{slug}/comment-token": {"slug": POST_SLUG},
    "/v1/posts/{slug}/subscriptions": {"slug": POST_SLUG},
}
CALLERS = ["anonymous", "bad token", "revoked token", *[role.value for role in Role]]
OPERATIONS = [
    (method.upper(), path)
    for path, operations in yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "openapi.yaml").read_text()
    )["paths"].items()
    for method in operations
    if method != "parameters"
]


def test_every_operation_has_an_access_rule():
    missing = sorted(set(OPERATIONS) - set(ACCESS))
    assert not missing, f"decide who may call: {missing}"
    assert not sorted(set(ACCESS) - set(OPERATIONS)), "ACCESS names operations that are gone"


def expected_outcome(rule, caller: str) -> str:
    if rule in (OPEN, FOREIGN):
        return "through"
    if caller in ("bad token", "revoked token"):
        return "401"
    if rule in (COMMENTER, EDIT_READ):
        return "through" if caller == "anonymous" else "401"
    if rule == EDIT_WRITE:
        return "401"
    if rule == PUBLIC:
        return "through"
    if caller == "anonymous":
        return "401"
    return "through" if caller in rule else "403"


@pytest.fixture
def callers(app, client, make_token) -> dict[str, dict]:
    with app.app_context():
        load_demo()
        db.session.remove()
    revoked = make_token("admin", name="to revoke")
    admin = bearer(make_token("admin"))
    token_id = next(
        t["id"]
        for t in client.get("/v1/tokens", headers=admin).get_json()["items"]
        if t["name"] == "to revoke"
    )
    client.delete(f"/v1/tokens/{token_id}", headers=admin)
    headers = {"anonymous": {}, "bad token": bearer("mgl_forged"), "revoked token": bearer(revoked)}
    for role in Role:
        headers[role.value] = bearer(
            make_token(role.value, author=AUTHOR["slug"] if role is Role.AUTHOR else None)
        )
    return headers


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_each_caller_gets_what_the_policy_says(client, callers, method, path):
    url = path.format(**{"id": "1", "slug": POST_SLUG, **PATH_VALUES.get(path, {})})
    outcomes: dict[str, int] = {}
    for caller in CALLERS:
        limiter.reset()  # each caller starts with a fresh quota: this test is about auth
        response = client.open(
            url,
            method=method,
            headers=callers[caller],
            json={} if method in ("POST", "PATCH") else None,
        )
        outcome = str(response.status_code) if response.status_code in (401, 403) else "through"
        expected = expected_outcome(ACCESS[(method, path)], caller)
        if ACCESS[(method, path)] == FOREIGN:
            outcomes.setdefault("anonymous", response.status_code)
            assert response.status_code == outcomes["anonymous"] != 401, (method, path, caller)
            continue
        assert outcome == expected, (
            method,
            path,
            caller,
            response.status_code,
            response.get_json(),
        )


def test_the_contract_declares_the_security_each_access_rule_needs():
    """What generated clients see: public operations take an anonymous client, staff
    operations a bearer token, a comment's changes its edit token."""
    document = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())
    for (method, path), rule in ACCESS.items():
        declared = document["paths"][path][method.lower()]["security"]
        if rule in (PUBLIC, OPEN, COMMENTER, EDIT_READ, FOREIGN):
            wanted = []
        elif rule == EDIT_WRITE:
            wanted = [{"commentEditToken": []}]
        else:
            wanted = [{"staffToken": []}]
        assert declared == wanted, (method, path, rule)
