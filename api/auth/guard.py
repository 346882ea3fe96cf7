"""The HTTP side of authentication: reading the bearer token once per request."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from api.auth import tokens as services
from api.auth.policy import Actor, Permission, ensure
from api.errors import Unauthorized

_UNSET = object()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use the Authorization: Bearer <token> scheme.")
    return token.strip()


def current_actor() -> Actor | None:
    """The staff member behind this request, or None for a public request."""
    cached = g.get("actor", _UNSET)
    if cached is not _UNSET:
        return cached
    token = bearer_token()
    if token is None:
        actor = None
    elif not services.is_staff_token(token):
        raise Unauthorized("This is not a staff token.")
    else:
        actor = services.authenticate(token)
    g.actor = actor
    return actor


def requires(permission: Permission):
    """Route decorator: 401 without a valid token, 403 without `permission`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            ensure(current_actor(), permission)
            return view(*args, **kwargs)

        wrapper._marginalia_permission = permission
        return wrapper

    return decorator


def accepts_commenter_tokens(view):
    """Mark a view (a function, a MethodView method or a whole MethodView) whose bearer
    token may also be a commenter's OIDC or edit token, which the comments area checks
    itself; everywhere else a bearer token must be a staff token."""
    view._accepts_commenter_tokens = True
    return view


def _accepts_commenter_tokens(view) -> bool:
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else None
    return any(
        getattr(candidate, "_accepts_commenter_tokens", False)
        for candidate in (view, view_class, method)
    )


def init_app(app) -> None:
    @app.before_request
    def check_presented_credentials():
        """Credentials that are presented are checked on every API operation, even public
        ones: a broken or revoked token is a 401, never silently treated as anonymous."""
        if not request.path.startswith("/v1/") or "Authorization" not in request.headers:
            return
        view = app.view_functions.get(request.endpoint)
        token = bearer_token()
        if _accepts_commenter_tokens(view) and not services.is_staff_token(token):
            return
        current_actor()
