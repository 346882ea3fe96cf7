"""`POST /wp-json/wp/v2/comments`: a WordPress comment form's submission, through our
intake (api/comments/intake.py) with every rule, the moderation queue and the same
rate limits as `POST /v1/posts/{slug}/comments` (per client address, per post).

Answered as WordPress answers: 201 with the comment, `status` `hold` while it waits
for a moderator; refusals in WordPress's error shape with WordPress's codes
(`comment_flood`, `comment_duplicate`, `rest_comment_closed`, ...), our statuses.
Anonymous only: a comment form has no OIDC identity, and `author` (a user id) is
refused as WordPress refuses it for anonymous readers.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_limiter.errors import RateLimitExceeded

from api.auth.commenters import ip_limit_key
from api.comments import intake, limits
from api.compat import wordpress as wp
from api.compat import wp_render, wp_request
from api.compat.wp_errors import WpError, from_problem
from api.content.services import find_post
from api.errors import DomainError
from api.infra.database import reads_outside_transaction
from api.infra.group_commit import committed_together
from api.web.clients import client_ip
from api.web.ratelimits import limiter


def _settings():
    return current_app.config["MARGINALIA"]


def _payload() -> Any:
    if request.is_json:
        return request.get_json(silent=True)
    fields = {k: v for k, v in request.args.items() if k != "rest_route"}
    return fields | request.form.to_dict()


def _post_key() -> str:
    """The post's bucket, as `POST /v1/posts/{slug}/comments` counts it (by slug)."""
    payload = _payload()
    post_id = _positive_id(payload.get("post") if isinstance(payload, dict) else None)
    post = find_post(post_id=post_id, site_url=_settings().site_url) if post_id else None
    return f"post:{post.slug if post else ''}"


def _positive_id(value: Any) -> int | None:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and 0 < int(text) <= wp_request.MAX_ID else None


# The same quotas and counters as the `/v1` route (api/comments/limits.py): a reader
# cannot double their allowance by using both ways in.
_per_ip = limiter.shared_limit(
    lambda: _settings().ratelimit_comments_ip,
    scope=limits.IP_SCOPE,
    key_func=ip_limit_key,
    error_message="Too many comments from your address; see Retry-After.",
)
_per_post = limiter.shared_limit(
    lambda: _settings().ratelimit_comments_post,
    scope=limits.POST_SCOPE,
    key_func=_post_key,
    error_message="Too many comments on this post right now; see Retry-After.",
)


def submit(where: wp.WordPressSite) -> tuple[dict, int, dict[str, str]]:
    """(body, status, headers) of the answer."""
    try:
        body, status, extra = _limited_submit(where)
    except RateLimitExceeded:
        error = from_problem(429, "too-many-requests")
        body, status, extra = error.body(), error.status, {}
    except WpError as error:
        body, status, extra = error.body(), error.status, error.headers
    except DomainError as error:
        wp_error = from_problem(
            error.status, error.slug, error.detail, error.errors, dict(error.headers)
        )
        body, status, extra = wp_error.body(), wp_error.status, wp_error.headers
    return body, status, extra


@_per_post
@_per_ip
def _limited_submit(where: wp.WordPressSite) -> tuple[dict, int, dict[str, str]]:
    form = wp_request.comment_submission(_payload())
    reads_outside_transaction()  # the write is the group commit's
    post = find_post(post_id=form.post_id, site_url=_settings().site_url)
    if post is None or post.status != "published":
        raise WpError("rest_comment_invalid_post_id", "Invalid post ID.", 404)
    submission = intake.Submission(
        body=form.body,
        parent_id=form.parent_id,
        author_name=form.author_name,
        author_email=form.author_email,
        author_url=form.author_url,
        identity=None,
        ip=client_ip(),
        user_agent=request.user_agent.string or None,
    )
    decided = intake.decide_comment(post.slug, submission, _settings())
    receipt = committed_together(intake.store_comments, decided)
    comment = receipt.comment
    shaped = wp.wp_comment(
        {
            "id": comment.id,
            "type": comment.type,
            "status": comment.status,
            "body_html": comment.body_html,
            "author_name": comment.author_name,
            "author_url": comment.author_url,
            "parent_id": comment.parent_id,
            "created_at": comment.created_at.isoformat(),
        },
        where,
        post_id=post.id,
        post_url=post.url,
    )
    location = where.url(f"/wp/v2/comments/{comment.id}")
    return wp_render.render(shaped), 201, {"Location": location}
