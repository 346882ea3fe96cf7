"""WordPress's error shape, `{"code", "message", "data": {"status", ...}}`, and the
mapping from our problem+json errors to it.

Codes and messages are WordPress's own (wp-includes/rest-api/class-wp-rest-server.php,
endpoints/class-wp-rest-*-controller.php, wp-includes/comment.php), since frontends
branch on `code`: for instance a listing loop ends on `rest_post_invalid_page_number`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class WpError(Exception):
    code: str
    message: str
    status: int
    data: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        data = {"status": self.status} | self.data
        return {"code": self.code, "message": self.message, "data": data}


def invalid_params(problems: dict[str, tuple[str, str]]) -> WpError:
    """400 rest_invalid_param; `problems` maps a parameter to (detail code, message)."""
    names = ", ".join(problems)
    return WpError(
        "rest_invalid_param",
        f"Invalid parameter(s): {names}",
        400,
        {
            "params": {name: message for name, (_, message) in problems.items()},
            "details": {
                name: {"code": code, "message": message, "data": None}
                for name, (code, message) in problems.items()
            },
        },
    )


def no_route() -> WpError:
    return WpError("rest_no_route", "No route was found matching the URL and request method.", 404)


_NOT_FOUND = {
    "posts": ("rest_post_invalid_id", "Invalid post ID."),
    "pages": ("rest_post_invalid_id", "Invalid post ID."),
    "media": ("rest_post_invalid_id", "Invalid post ID."),
    "users": ("rest_user_invalid_id", "Invalid user ID."),
    "tags": ("rest_term_invalid", "Term does not exist."),
    "categories": ("rest_term_invalid", "Term does not exist."),
    "comments": ("rest_comment_invalid_id", "Invalid comment ID."),
}


def not_found(resource: str) -> WpError:
    code, message = _NOT_FOUND.get(resource, ("rest_no_route", "Not found."))
    return WpError(code, message, 404)


def invalid_page_number(resource: str) -> WpError:
    kind = {"users": "user", "comments": "comment", "tags": "term", "categories": "term"}
    return WpError(
        f"rest_{kind.get(resource, 'post')}_invalid_page_number",
        "The page number requested is larger than the number of pages available.",
        400,
    )


# Our problem types (api/errors.py, api/comments/intake.py) as a comment form expects
# WordPress to answer them.
_FROM_PROBLEM = {
    "comments-closed": ("rest_comment_closed", "Sorry, comments are closed for this item."),
    "flood": ("comment_flood", "You are posting comments too quickly. Slow down."),
    "duplicate-comment": (
        "comment_duplicate",
        "Duplicate comment detected; it looks as though you have already said that!",
    ),
    "too-many-requests": ("rest_too_many_requests", "Too many requests. Please slow down."),
    "unauthorized": ("rest_comment_login_required", "Sorry, you must be logged in to comment."),
    "forbidden": ("rest_forbidden", "Sorry, you are not allowed to do that."),
    "not-found": ("rest_post_invalid_id", "Invalid post ID."),
}


def from_problem(
    status: int,
    slug: str,
    detail: str = "",
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> WpError:
    """Our error (status, problem slug, detail, field errors) in WordPress's shape. The
    status stays ours (a flood is 429 here, with Retry-After), the code is WordPress's.
    Field errors name WordPress's fields (body -> content, parent_id -> parent)."""
    headers = dict(headers or {})
    if errors:
        error = invalid_params(
            {
                _WP_FIELD.get(name, name): ("rest_invalid_param", "; ".join(messages))
                for name, messages in errors.items()
            }
        )
        error.headers = headers
        return error
    if slug in _FROM_PROBLEM:
        code, message = _FROM_PROBLEM[slug]
    elif status >= 500:
        code, message = "rest_internal_error", "Something went wrong; try again later."
    else:
        code, message = "rest_error", detail or "The request could not be completed."
    return WpError(code, message, status, headers=headers)


_WP_FIELD = {"body": "content", "parent_id": "parent"}
