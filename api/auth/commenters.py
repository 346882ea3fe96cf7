"""Who is commenting: the request's bearer token, read and checked once per request.

Both the rate limits (which run before the view) and the view need the answer, so it is
kept on `g`. A bad token is remembered as its error: the rate limits then count the
request against the client's address (bad tokens buy no extra quota), and the view
raises the error (401, or 503 when the issuer is unreachable).
"""

from __future__ import annotations

import functools
import hashlib

from flask import current_app, g, request

from api.auth.guard import bearer_token
from api.auth.oidc import Identity, InvalidToken, verifier_for
from api.auth.tokens import is_staff_token
from api.errors import DomainError, Unauthorized
from api.web.clients import client_network

_UNSET = object()


def _resolve() -> Identity | DomainError | None:
    cached = g.get("marginalia_commenter", _UNSET)
    if cached is not _UNSET:
        return cached
    outcome: Identity | DomainError | None
    try:
        token = bearer_token()
        if token is None:
            outcome = None
        elif is_staff_token(token):
            outcome = InvalidToken("staff tokens do not identify commenters; send an OIDC token")
        else:
            settings = current_app.config["MARGINALIA"]
            verifier = verifier_for(current_app, settings)
            if verifier is None:
                outcome = InvalidToken("this site trusts no OIDC issuer; comment anonymously")
            else:
                outcome = verifier.verify(token)
    except DomainError as exc:
        outcome = exc
    g.marginalia_commenter = outcome
    return outcome


def commenter_identity() -> Identity | None:
    """The verified OIDC identity behind this request, or None for an anonymous one."""
    outcome = _resolve()
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def is_identified() -> bool:
    """Whether this request carries a valid commenter token (rate-limit selector)."""
    return isinstance(_resolve(), Identity)


def ip_limit_key() -> str:
    return f"ip:{client_network()}"


def identity_limit_key() -> str:
    identity = _resolve()
    assert isinstance(identity, Identity)  # the limit is exempt otherwise
    digest = hashlib.sha256(f"{identity.issuer}\n{identity.subject}".encode()).hexdigest()
    return f"identity:{digest[:32]}"


def post_limit_key() -> str:
    return f"post:{(request.view_args or {}).get('slug', '')}"


def edit_token() -> str | None:
    """The comment edit token sent as `Authorization: Bearer <token>`."""
    return bearer_token()


def checks_commenter_first(view):
    """Route decorator: a token that does not verify is a 401 before the body is read."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        commenter_identity()
        return view(*args, **kwargs)

    return wrapper


def needs_edit_token(view):
    """Route decorator: changing a comment takes its edit token, checked before the body."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = edit_token()
        if token is None or is_staff_token(token):
            raise Unauthorized("Send the comment's edit token: Authorization: Bearer <token>.")
        return view(*args, **kwargs)

    return wrapper
