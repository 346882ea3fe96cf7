"""Rate-limit response headers, written here rather than by Flask-Limiter.

Flask-Limiter 4 writes `X-RateLimit-Limit/-Remaining/-Reset` and a `Retry-After` on
*every* limited response (a 202 included), and it overwrites the `Retry-After` a 429 or
503 of our own already carries (a flood refusal's wait) with its window's reset. It
does not write the IETF fields at all. So its header injection is off (below)
and this hook writes, for every route with limits:

* `RateLimit-Policy` and `RateLimit` as in draft-ietf-httpapi-ratelimit-headers (-08 and
  later): one quoted policy name per limit, `q` quota and `w` window seconds in the
  policy, `r` remaining and `t` seconds to reset in the current state;
* the `X-RateLimit-*` trio clients already know, for the tightest limit;
* `Retry-After` only on a 429 that a limit caused: the seconds until it resets.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

from api.web.clients import client_network

log = logging.getLogger(__name__)
KINDS = ("ip", "identity", "post")

# Its own header injection is off: add_rate_limit_headers writes them.
limiter = Limiter(key_func=client_network, default_limits=[], headers_enabled=False)


def init_app(app: Flask) -> None:
    app.after_request(add_rate_limit_headers)


def _policy_name(request_limit) -> str:
    """`ip-60s`: what the limit counts (its key's kind) and its window."""
    key = request_limit.request_args[-2] if len(request_limit.request_args) >= 2 else ""
    kind = key.partition(":")[0]
    return f"{kind if kind in KINDS else 'limit'}-{request_limit.limit.get_expiry()}s"


def _seconds_until(request_limit, now: float) -> int:
    # Storages round their expiry (Redis TTLs are whole seconds); a reset is never
    # further away than one window.
    left = math.ceil(request_limit.window.reset_time - now)
    return max(0, min(left, request_limit.limit.get_expiry()))


def add_rate_limit_headers(response: Response) -> Response:
    if not limiter.enabled or not limiter.initialized:
        return response
    limits = limiter.current_limits
    if not limits:
        return response
    now = time.time()
    try:
        states = [
            (rl, _policy_name(rl), max(0, rl.window.remaining), _seconds_until(rl, now))
            for rl in limits
        ]
    except Exception:  # storage unreachable: the headers are advice, never an error
        log.warning("rate-limit state unavailable for headers", exc_info=True)
        return response
    response.headers["RateLimit-Policy"] = ", ".join(
        f'"{name}";q={rl.limit.amount};w={rl.limit.get_expiry()}' for rl, name, _, _ in states
    )
    response.headers["RateLimit"] = ", ".join(
        f'"{name}";r={remaining};t={reset}' for _, name, remaining, reset in states
    )
    breached = [state for state in states if state[0].breached]
    tightest = breached[0] if breached else min(states, key=lambda state: state[2])
    rl, _, remaining, reset = tightest
    response.headers["X-RateLimit-Limit"] = str(rl.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(remaining)
    response.headers["X-RateLimit-Reset"] = str(int(now) + reset)
    if breached and response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, reset))
    return response


def where_reads_are_counted(app: Flask, endpoint: str) -> str | None:
    """Where Flask-Limiter could count an anonymous GET or HEAD of `endpoint`.

    * "view": a limit decorates the view or its GET/HEAD method. Flask-Limiter counts
      it when the view runs, so a cached answer (which skips the view) would not.
    * "before": only application, default, meta or blueprint limits could. Flask-Limiter
      counts those in its before_request hook, ahead of the response cache's hook, but
      not for an answer the cache's WSGI front gives before Flask runs at all.
    * None: no limit could count it.

    Deliberately coarse: a limit whose exempt_when might spare the read still counts.
    """
    if not (limiter.enabled and limiter.initialized):
        return None
    manager = limiter.limit_manager
    view = app.view_functions.get(endpoint)
    if view is None:
        return "view"
    view_class = getattr(view, "view_class", None)
    methods = [getattr(view_class, name, None) for name in ("get", "head")] if view_class else []
    names = [get_qualified_name(found) for found in (view, *methods) if found is not None]
    if any(manager.decorated_limits(name) for name in names):
        return "view"
    meta_limits = getattr(limiter, "_meta_limits", None)  # Flask-Limiter has no accessor
    if manager.application_limits or manager.default_limits or meta_limits:
        return "before"
    blueprint = endpoint.rpartition(".")[0]
    if blueprint and manager.blueprint_limits(app, blueprint):
        return "before"
    return None
