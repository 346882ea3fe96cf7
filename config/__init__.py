"""Settings: `defaults.toml`, then the TOML file named by MARGINALIA_CONFIG, then
MARGINALIA_* environment variables. A bad value fails at start with one line."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
ENV_PREFIX = "MARGINALIA_"


# Asymmetric JWS algorithms only: a token signed with a shared secret (HS*) or not at all
# ("none") can never identify a commenter, whatever its header says.
OIDC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
# Settings that are TOML tables: a later layer overrides single keys, not the whole table.
TABLES = ("discussion",)


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    redis_url: str = ""
    site_url: str = "http://localhost:8000/posts/{slug}/"
    secret_key: str = ""
    oidc_issuers: tuple[str, ...] = ()
    oidc_audience: str = "marginalia"
    allow_private_targets: bool = False
    cors_origins: tuple[str, ...] = ("*",)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    trusted_proxies: int = 0
    ratelimits: bool = True
    max_body_bytes: int = 524288
    public_max_age: int = 60
    response_cache: bool = True
    response_cache_entries: int = 4096
    inline_worker: str = ""
    log_level: str = "INFO"
    demo_on_empty: bool = True
    api_url: str = "http://localhost:8000"
    instance_path: str = ""
    internal_pingbacks_approved: bool = True
    # The site as the WordPress and Ghost compatible APIs describe it (docs/compat.md).
    site_title: str = "Marginalia"
    site_description: str = ""
    site_timezone: str = "UTC"
    content_api_all_cap: int = 1000
    linkback_rate_limit: str = "30/minute"
    # Pingbacks are verified while the sender waits: the source fetch's total deadline
    # (seconds), and how many verifications run at once per process and per client address.
    pingback_verify_timeout: float = 5.0
    pingback_verifications: int = 2
    pingback_verifications_per_address: int = 1
    # JWS algorithms accepted on commenter tokens; asymmetric ones only (never from the token).
    oidc_algorithms: tuple[str, ...] = OIDC_ALGORITHMS
    # Comment submission rate limits (Flask-Limiter syntax, ";" between several).
    ratelimit_comments_ip: str = "5/minute;50/hour"
    ratelimit_comments_identity: str = "10/minute;100/hour"
    ratelimit_comments_post: str = "30/minute"
    # Defaults of the discussion settings (the [discussion] table); admins override them
    # through /v1/settings/discussion, stored in the database.
    discussion: dict[str, Any] = field(default_factory=dict)
    # Webhooks: seconds to wait before each attempt (the first is normally 0); after
    # the last attempt fails the delivery is `failed`.
    webhook_retry_schedule: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    webhook_timeout: float = 15.0
    webhook_disable_after: float = 432000.0  # an endpoint failing this long is disabled
    webhook_secret_overlap: float = 86400.0  # a rotated-out secret still signs this long
    webhook_log_retention_days: int = 30
    # Revisions kept per post (0 = all; the worker prunes the oldest, never the
    # newest published one) and the longest life of a preview link (seconds).
    revisions_per_post: int = 0
    preview_link_max_seconds: int = 604800
    # Privacy (issue 17): what an erasure does to a commenter's comments (anonymise |
    # delete), and after how many days the worker clears stored IPs (0: kept).
    privacy_erasure: str = "anonymise"
    ip_retention_days: int = 30
    # Spam defence (issue 20). Shadow blocks answer the sender as if accepted (off:
    # a shadow rule acts as spam). Comment-form tokens: minimum fill time, maximum age,
    # and what a missing or invalid token does (hold | refuse).
    blocklist_shadow: bool = False
    comment_token_min_seconds: float = 3.0
    comment_token_max_age: float = 86400.0
    comment_token_invalid: str = "hold"  # noqa: S105  (an action, not a secret)
    # Akismet-protocol check; off while the key is empty.
    akismet_key: str = field(default="", repr=False)
    akismet_url: str = "https://rest.akismet.com/1.1/"
    akismet_timeout: float = 3.0
    # Mail (SMTP); off while the host is empty.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 10.0
    mail_from: str = ""
    # Reply notifications: at most one digest per address per this many minutes (0: as
    # soon as the worker sees the reply); seconds before each retry of a failed mail.
    notify_digest_minutes: int = 15
    # Moderators and admins whose token has an email get a digest of new pending comments.
    moderator_digest: bool = False
    mail_retry_schedule: tuple[float, ...] = (60, 300, 1800, 7200, 21600)
    # WebSub hub announced by the feeds and pinged when they change; empty = none.
    websub_hub_url: str = ""
    # The site's language (Akismet's blog_lang, the feeds' language).
    site_language: str = "en"
    # A CDN or Varnish in front (api/cdn): who to purge, and how long such caches keep a
    # public read (seconds; browsers keep public_max_age).
    varnish_url: tuple[str, ...] = ()  # every node, comma-separated in the environment
    fastly_service_id: str = ""
    fastly_api_token: str = field(default="", repr=False)
    fastly_api_url: str = "https://api.fastly.com"
    cloudflare_zone_id: str = ""
    cloudflare_api_token: str = field(default="", repr=False)
    cloudflare_api_url: str = "https://api.cloudflare.com/client/v4"
    cdn_s_maxage: int = 3600
    cdn_stale_while_revalidate: int = 60
    cdn_cache_tag_header: bool = False
    # Media (issue 15): where uploads are stored (local | s3), their public base URL
    # (empty: <api_url>/media for local, the bucket's URL for s3), and the limits.
    media_storage: str = "local"
    media_path: str = ""  # local folder; empty = <instance folder>/media
    media_url: str = ""
    media_max_bytes: int = 20 * 1024 * 1024
    media_max_pixels: int = 40_000_000
    media_widths: tuple[int, ...] = (600, 1000, 1600, 2000)
    media_s3_bucket: str = ""
    media_s3_prefix: str = ""
    media_s3_endpoint_url: str = ""  # S3-compatible services; empty = AWS
    media_s3_region: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def runs_inline_worker(self) -> bool:
        if self.inline_worker == "":
            return not self.uses_redis
        return _parse_bool("inline_worker", self.inline_worker)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {value!r}")


def _parse_int(name: str, value: Any, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an integer, not {value!r}") from None
    if isinstance(value, bool) or number < minimum:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an integer >= {minimum}")
    return number


def _parse_list(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(item.strip() for item in items if str(item).strip())


def _parse_table(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a JSON object") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a table (a JSON object)")
    return dict(value)


def _parse_float(name: str, value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a number, not {value!r}") from None
    if not 0 <= number < float("inf"):
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a finite number >= 0")
    return number


def _coerce(name: str, annotation: str, value: Any) -> Any:
    if annotation.startswith("dict"):
        return _parse_table(name, value)
    if annotation == "bool":
        return _parse_bool(name, value)
    if annotation == "int":
        return _parse_int(name, value, minimum=1 if name in {"port", "workers"} else 0)
    if annotation == "float":
        return _parse_float(name, value)
    if annotation == "tuple[int, ...]":
        items = value if isinstance(value, list | tuple) else _parse_list(value)
        return tuple(_parse_int(name, item, minimum=1) for item in items)
    if annotation == "tuple[float, ...]":
        items = value if isinstance(value, list | tuple) else _parse_list(value)
        return tuple(_parse_float(name, item) for item in items)
    if annotation.startswith("tuple"):
        return _parse_list(value)
    if isinstance(value, dict | list):
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be a string")
    return str(value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from the three layers, then apply keyword overrides (tests)."""
    environ = dict(os.environ if environ is None else environ)
    known = {f.name: f.type for f in fields(Settings) if f.name != "extra"}
    raw: dict[str, Any] = dict(_read_toml(DEFAULTS_FILE))
    layers: list[dict[str, Any]] = []
    if config_file := environ.get(f"{ENV_PREFIX}CONFIG"):
        layers.append(_read_toml(Path(config_file)))
    layers.append(
        {
            name: environ[f"{ENV_PREFIX}{name.upper()}"]
            for name in known
            if f"{ENV_PREFIX}{name.upper()}" in environ
        }
    )
    layers.append(overrides)
    for layer in layers:
        for key, value in layer.items():
            if key in TABLES and isinstance(raw.get(key), dict):
                value = {**raw[key], **_parse_table(key, value)}
            raw[key] = value

    extra = {key: value for key, value in raw.items() if key not in known}
    values = {name: _coerce(name, str(known[name]), raw[name]) for name in known if name in raw}
    settings = Settings(**values, extra=extra)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if "{slug}" not in settings.site_url:
        raise ConfigError(f"{ENV_PREFIX}SITE_URL must contain {{slug}}: {settings.site_url!r}")
    if not settings.site_url.startswith(("http://", "https://")):
        raise ConfigError(f"{ENV_PREFIX}SITE_URL must be an http(s) URL")
    if settings.database_url and "://" not in settings.database_url:
        raise ConfigError(f"{ENV_PREFIX}DATABASE_URL is not a SQLAlchemy URL")
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://")):
        raise ConfigError(f"{ENV_PREFIX}REDIS_URL must start with redis:// or rediss://")
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"{ENV_PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    try:
        ZoneInfo(settings.site_timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(
            f"{ENV_PREFIX}SITE_TIMEZONE must be an IANA time zone: {settings.site_timezone!r}"
        ) from None
    if settings.content_api_all_cap < 1:
        raise ConfigError(f"{ENV_PREFIX}CONTENT_API_ALL_CAP must be at least 1")
    if settings.max_body_bytes < 1024:
        raise ConfigError(f"{ENV_PREFIX}MAX_BODY_BYTES must be at least 1024")
    try:
        parse_many(settings.linkback_rate_limit)
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}LINKBACK_RATE_LIMIT is not a rate limit like '30/minute': "
            f"{settings.linkback_rate_limit!r}"
        ) from None
    if settings.pingback_verify_timeout <= 0:
        raise ConfigError(f"{ENV_PREFIX}PINGBACK_VERIFY_TIMEOUT must be more than 0 seconds")
    if min(settings.pingback_verifications, settings.pingback_verifications_per_address) < 1:
        raise ConfigError(
            f"{ENV_PREFIX}PINGBACK_VERIFICATIONS and "
            f"{ENV_PREFIX}PINGBACK_VERIFICATIONS_PER_ADDRESS must be at least 1"
        )
    if not settings.webhook_retry_schedule:
        raise ConfigError(f"{ENV_PREFIX}WEBHOOK_RETRY_SCHEDULE needs at least one delay")
    if not 60 <= settings.preview_link_max_seconds <= 7 * 86400:
        raise ConfigError(f"{ENV_PREFIX}PREVIEW_LINK_MAX_SECONDS must be 60 to 604800 (7 days)")
    if settings.webhook_timeout <= 0:
        raise ConfigError(f"{ENV_PREFIX}WEBHOOK_TIMEOUT must be more than 0 seconds")
    for issuer in settings.oidc_issuers:
        if not issuer.startswith(("https://", "http://")):
            raise ConfigError(f"{ENV_PREFIX}OIDC_ISSUERS entries must be URLs: {issuer!r}")
        if issuer.startswith("http://") and not settings.allow_private_targets:
            raise ConfigError(
                f"{ENV_PREFIX}OIDC_ISSUERS must be https:// ({issuer!r}); plain http is "
                f"only for local development with {ENV_PREFIX}ALLOW_PRIVATE_TARGETS=true"
            )
    unknown = [alg for alg in settings.oidc_algorithms if alg not in OIDC_ALGORITHMS]
    if unknown or not settings.oidc_algorithms:
        raise ConfigError(
            f"{ENV_PREFIX}OIDC_ALGORITHMS must name asymmetric algorithms among "
            f"{', '.join(OIDC_ALGORITHMS)}"
        )
    for name in ("ratelimit_comments_ip", "ratelimit_comments_identity", "ratelimit_comments_post"):
        _check_rate_limit(name, getattr(settings, name))
    _validate_spam_and_mail(settings)
    _check_cdn(settings)
    _validate_media(settings)


def _validate_media(settings: Settings) -> None:
    if settings.media_storage not in ("local", "s3"):
        raise ConfigError(f"{ENV_PREFIX}MEDIA_STORAGE must be local or s3")
    if settings.media_storage == "s3" and not settings.media_s3_bucket:
        raise ConfigError(
            f"{ENV_PREFIX}MEDIA_S3_BUCKET is needed with {ENV_PREFIX}MEDIA_STORAGE=s3"
        )
    for name in ("media_url", "media_s3_endpoint_url"):
        value = getattr(settings, name)
        if value and not value.startswith(("https://", "http://")):
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an http(s) URL")
    if settings.media_max_bytes < 1024 or settings.media_max_pixels < 1:
        raise ConfigError(
            f"{ENV_PREFIX}MEDIA_MAX_BYTES must be at least 1024 and "
            f"{ENV_PREFIX}MEDIA_MAX_PIXELS at least 1"
        )


def _validate_spam_and_mail(settings: Settings) -> None:
    if settings.privacy_erasure not in ("anonymise", "delete"):
        raise ConfigError(f"{ENV_PREFIX}PRIVACY_ERASURE must be anonymise or delete")
    if settings.comment_token_invalid not in ("hold", "refuse", "ignore"):
        raise ConfigError(f"{ENV_PREFIX}COMMENT_TOKEN_INVALID must be hold, refuse or ignore")
    if settings.comment_token_max_age <= settings.comment_token_min_seconds:
        raise ConfigError(
            f"{ENV_PREFIX}COMMENT_TOKEN_MAX_AGE must be longer than "
            f"{ENV_PREFIX}COMMENT_TOKEN_MIN_SECONDS"
        )
    if not settings.akismet_url.startswith(("https://", "http://")):
        raise ConfigError(f"{ENV_PREFIX}AKISMET_URL must be an http(s) URL")
    if settings.akismet_timeout <= 0:
        raise ConfigError(f"{ENV_PREFIX}AKISMET_TIMEOUT must be more than 0 seconds")
    if settings.smtp_security not in ("none", "starttls", "tls"):
        raise ConfigError(f"{ENV_PREFIX}SMTP_SECURITY must be none, starttls or tls")
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError(f"{ENV_PREFIX}SMTP_PORT must be between 1 and 65535")
    if settings.smtp_timeout <= 0:
        raise ConfigError(f"{ENV_PREFIX}SMTP_TIMEOUT must be more than 0 seconds")
    if settings.smtp_host and "@" not in settings.mail_from:
        raise ConfigError(
            f"{ENV_PREFIX}MAIL_FROM must be an email address when {ENV_PREFIX}SMTP_HOST is set"
        )
    if settings.websub_hub_url and not settings.websub_hub_url.startswith(("https://", "http://")):
        raise ConfigError(f"{ENV_PREFIX}WEBSUB_HUB_URL must be an http(s) URL")


def _check_cdn(settings: Settings) -> None:
    for url in settings.varnish_url:
        if not _is_plain_http_url(url):
            raise ConfigError(
                f"{ENV_PREFIX}VARNISH_URL entries must be http(s) URLs of Varnish nodes "
                f"without credentials, like http://127.0.0.1:6081: {url!r}"
            )
    for service, id_name, token_name in (
        ("Fastly", "fastly_service_id", "fastly_api_token"),
        ("Cloudflare", "cloudflare_zone_id", "cloudflare_api_token"),
    ):
        if bool(getattr(settings, id_name)) != bool(getattr(settings, token_name)):
            raise ConfigError(
                f"{ENV_PREFIX}{id_name.upper()} and {ENV_PREFIX}{token_name.upper()} "
                f"configure {service} purging together: set both or neither"
            )
    for name in ("fastly_api_url", "cloudflare_api_url"):
        url = getattr(settings, name)
        if not _is_plain_http_url(url):
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an http(s) URL: {url!r}")
        if url.startswith("http://") and not settings.allow_private_targets:
            raise ConfigError(
                f"{ENV_PREFIX}{name.upper()} must be https:// ({url!r}); plain http is "
                f"only for local development with {ENV_PREFIX}ALLOW_PRIVATE_TARGETS=true"
            )
    if settings.cloudflare_zone_id and not settings.cdn_cache_tag_header:
        # Purging tags that no response carries would purge nothing, silently.
        raise ConfigError(
            f"{ENV_PREFIX}CLOUDFLARE_ZONE_ID purges by Cache-Tag: set "
            f"{ENV_PREFIX}CDN_CACHE_TAG_HEADER=true so public reads carry their tags"
        )


def _is_plain_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def _check_rate_limit(name: str, value: str) -> None:
    from limits import parse_many

    if not value.strip():
        return  # empty: no limit of this kind
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()} is not a rate limit such as '5/minute;50/hour': {value!r}"
        ) from None
