"""The application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_cors import CORS

from api import wiring
from api.auth import guard
from api.cache import responses as cache
from api.cdn import headers as cdn_headers
from api.comments.discussion import configured_defaults
from api.infra import sqlite
from api.infra.database import db, migrate
from api.infra.migrations import MIGRATE_OPTIONS
from api.infra.pinging import ping_when_idle
from api.infra.queue import configure_queue
from api.media.storage import storage_for
from api.web import observability, parsing, problems, ratelimits
from api.web.conditional import finish_response
from api.web.contract import MarginaliaApi, ServerProblems
from api.web.ratelimits import limiter
from config import Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = PROJECT_ROOT / "migrations"
log = logging.getLogger(__name__)

EXPOSED_HEADERS = [
    "ETag",
    "Link",
    "Location",
    "X-Request-ID",
    "Retry-After",
    "RateLimit",
    "RateLimit-Policy",
    # The WordPress and Ghost compatible APIs' paging and version (api/compat).
    "X-WP-Total",
    "X-WP-TotalPages",
    "Content-Version",
]


def create_app(settings: Settings | None = None, **flask_config) -> Flask:
    settings = settings or load_settings()
    instance = Path(settings.instance_path or PROJECT_ROOT / "instance").resolve()
    app = Flask("api", instance_path=str(instance), static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(_flask_config(app, settings))
    app.config.update(flask_config)
    _check_area_settings(settings)
    app.session_interface = NoSessions()  # a token API: no cookie session to sign per request
    app.json.sort_keys = False  # schema order is stable already; sorting costs per request
    observability.configure_logging(settings.log_level)

    db.init_app(app)
    with app.app_context():
        sqlite.serialise_writes(db.engine)
        if not db.engine.url.drivername.startswith("sqlite"):
            ping_when_idle(db.engine)  # instead of pool_pre_ping's round trip per request
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, **MIGRATE_OPTIONS)
    parsing.install_converters(app)
    app.extensions["openapi"] = MarginaliaApi(app, spec_kwargs=_spec_kwargs())
    # Registered first so it runs last: after Flask-Limiter's own after-request hook has
    # made the deductions that depend on the response (the per-post comment limit's).
    ratelimits.init_app(app)
    limiter.init_app(app)
    cors_options = _cors_options(settings)
    CORS(app, **cors_options)
    problems.register_error_handlers(app)  # after smorest, so ours answer
    observability.init_app(app)
    parsing.init_app(app)
    guard.init_app(app)
    app.after_request(finish_response)
    # After finish_response: its store hook runs before it. Its WSGI front answers hits
    # before any hook runs, adding the headers the hooks above add (api/cache_front.py).
    cache.init_app(app, cors_options)
    cdn_headers.init_app(app)  # after the cache: its headers are stored with each entry

    app.extensions["marginalia.media_storage"] = storage_for(settings, app.instance_path)
    _register_blueprints(app)
    wiring.install(app)
    configure_queue(app)
    return app


def _cors_options(settings: Settings) -> dict:
    return {
        "resources": {r"/*": {"origins": list(settings.cors_origins)}},
        "expose_headers": EXPOSED_HEADERS,
        "allow_headers": [
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "X-Request-ID",
        ],
        "max_age": 600,
    }


class NoSessions(SecureCookieSessionInterface):
    """Flask's cookie session is never used here; opening it costs a signer per request."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None


def _flask_config(app: Flask, settings: Settings) -> dict:
    database_url = settings.database_url or f"sqlite:///{app.instance_path}/marginalia.db"
    engine_options: dict = {}  # api/infra/pinging.py pings idle connections instead
    if database_url.startswith("sqlite"):
        engine_options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {
        "MARGINALIA": settings,
        "SECRET_KEY": settings.secret_key or _instance_secret(app),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "MAX_CONTENT_LENGTH": settings.max_body_bytes,
        "API_TITLE": "Marginalia",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.1.0",
        "RATELIMIT_ENABLED": settings.ratelimits,
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,  # api/ratelimits.py writes them
        "RATELIMIT_KEY_PREFIX": "marginalia",
    }


def _check_area_settings(settings: Settings) -> None:
    """Settings validated by their area, so a bad value fails at start, not mid-request."""
    configured_defaults(settings)


def _instance_secret(app: Flask) -> str:
    """A signing key kept in the instance folder, so the embedded mode needs no setup."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _spec_kwargs() -> dict:
    return {
        "extra_plugins": [ServerProblems()],
        "info": {
            "description": (
                "Marginalia: posts, authors and tags for frontends; moderated comments, "
                "pingbacks and webhooks.\n\n"
                "Errors are RFC 9457 `application/problem+json`. Collections use keyset "
                "pagination: pass `next_cursor` (or `prev_cursor`) as `cursor`, or follow "
                "`next`/`prev` (also in `Link`); `count=true` adds `total`. Every read has "
                "an `ETag`: send it back in `If-None-Match` for a 304, or in `If-Match` on "
                "PATCH/DELETE to refuse a lost update (412; If-Match is never required, so "
                "there is no 428). Rate-limited operations answer with `RateLimit` and "
                "`RateLimit-Policy`, and a 429 with `Retry-After`. Staff operations need "
                "`Authorization: Bearer <token>`; operations with `security: []` are public "
                "(a staff token there shows more, e.g. drafts). This document is also "
                "served as `/openapi.json`."
            ),
        },
        "components": {
            "securitySchemes": {
                "staffToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff token (mgl_...) with one role",
                },
                "oidcToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A commenter's OpenID Connect token (JWT) from an issuer in "
                        "MARGINALIA_OIDC_ISSUERS, with MARGINALIA_OIDC_AUDIENCE in `aud`"
                    ),
                },
                "commentEditToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "The private edit token (mglc_...) returned once when the comment "
                        "was submitted; valid during the edit window"
                    ),
                },
            },
        },
    }


def _register_blueprints(app: Flask) -> None:
    from api.auth.routes import blp as tokens
    from api.cdn.routes import blp as cdn
    from api.comments.notification_routes import blp as notifications
    from api.comments.notification_routes import posts_blp as thread_subscriptions
    from api.comments.routes import blp as comments
    from api.comments.settings_routes import blp as discussion_settings
    from api.compat import contract as compat_contract
    from api.compat.ghost_routes import blp as ghost
    from api.compat.key_routes import blp as content_keys
    from api.compat.wp_routes import blp as wordpress
    from api.content.editorial_routes import blp as editorial
    from api.content.page_routes import blp as pages_api
    from api.content.routes import blp as posts
    from api.content.taxonomy_routes import blp as taxonomy
    from api.events.routes import blp as events
    from api.feeds.routes import blp as feeds
    from api.feeds.routes import install_alternate_links
    from api.linkbacks.routes import blp as linkbacks
    from api.media.routes import blp as media
    from api.media.routes import files as media_files
    from api.moderation.block_routes import blp as blocks
    from api.moderation.routes import blp as moderation
    from api.pages.routes import blp as pages
    from api.privacy.routes import blp as privacy
    from api.web.meta import blp as meta
    from api.webhooks.routes import blp as webhooks

    smorest = app.extensions["openapi"]
    for blueprint in (
        meta,
        posts,
        pages_api,
        taxonomy,
        comments,
        events,
        tokens,
        discussion_settings,
        linkbacks,
        webhooks,
        moderation,
        blocks,
        media,
        cdn,
        content_keys,
        privacy,
        feeds,
        notifications,
        thread_subscriptions,
        editorial,  # last: its operations and schemas come last in the contract
    ):
        smorest.register_blueprint(blueprint)
    install_alternate_links(app)
    app.register_blueprint(pages)  # pages, not operations: a plain Blueprint, not in the spec
    app.register_blueprint(media_files)  # stored files (local storage): not operations either
    app.register_blueprint(wordpress)  # WordPress's API: its own shapes (docs/compat.md)
    app.register_blueprint(ghost)  # Ghost's Content API: its own shapes (docs/compat.md)
    compat_contract.document(smorest.spec)  # both in the contract, under their own tags
