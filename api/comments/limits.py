"""Rate limits on comment submission (Flask-Limiter; shared across instances via Redis).

Three limits, each configurable (see config/defaults.toml):

* per client IP, for anonymous commenters (and for requests with a bad token);
* per OIDC identity, for signed-in commenters, higher than the anonymous one: the
  identity is vouched for by its issuer, while many readers may share one address;
* per post, for everyone together, so one thread cannot be swamped. It counts only the
  comments it lets in (2xx): a request whose body does not parse or validate, or that
  is refused, costs the post nothing, so junk cannot close a thread to real commenters.
  (Checked before and counted after, so concurrent comments may pass it by a few.)

They are checked before the request body is parsed, so a refused request costs little.
"""

from __future__ import annotations

import functools

from flask import current_app

from api.auth.commenters import identity_limit_key, ip_limit_key, is_identified, post_limit_key
from api.web.ratelimits import limiter


def _settings():
    return current_app.config["MARGINALIA"]


# Shared scopes: every way in to the intake (this route, WordPress's comment endpoint in
# api/compat) counts against the same quotas.
IP_SCOPE, IDENTITY_SCOPE, POST_SCOPE = "comments-ip", "comments-identity", "comments-post"

per_ip = limiter.shared_limit(
    lambda: _settings().ratelimit_comments_ip,
    scope=IP_SCOPE,
    key_func=ip_limit_key,
    exempt_when=is_identified,
    error_message="Too many comments from your address; see Retry-After.",
)
per_identity = limiter.shared_limit(
    lambda: _settings().ratelimit_comments_identity,
    scope=IDENTITY_SCOPE,
    key_func=identity_limit_key,
    exempt_when=lambda: not is_identified(),
    error_message="Too many comments from your account; see Retry-After.",
)


def _comment_stored(response) -> bool:
    return response.status_code < 400


per_post = limiter.shared_limit(
    lambda: _settings().ratelimit_comments_post,
    scope=POST_SCOPE,
    key_func=post_limit_key,
    # Only comments taken count: junk (unparseable JSON, invalid fields, a bad token)
    # and refusals would otherwise let a few addresses close a thread to everyone.
    deduct_when=_comment_stored,
    error_message="Too many comments on this post right now; see Retry-After.",
)


def comment_rate_limits(view):
    """Decorate the comment submission view with all three limits.

    Flask-Limiter checks them in the order they are declared and stops at the first one
    exceeded, so the per-client limits come first: requests one client has already used
    up its quota with never count against the post, or one abusive client could close a
    thread to everybody.
    """
    limited = view
    for limit in (per_ip, per_identity, per_post):
        limited = limit(limited)

    @functools.wraps(limited)
    def checked(*args, **kwargs):
        if not (limiter.enabled and limiter.initialized):
            # Limits off (MARGINALIA_RATELIMITS=false): nothing to count. Flask-Limiter
            # would still resolve its three limits for nothing, ~3% of a comment's CPU.
            return view(*args, **kwargs)
        return limited(*args, **kwargs)

    return checked
