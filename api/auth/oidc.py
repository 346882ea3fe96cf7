"""OIDC commenter tokens, checked as a resource server checks an access token.

A reader signs in wherever they like; the frontend sends their token as
`Authorization: Bearer <JWT>`. We accept it only when:

* its issuer (`iss`, compared exactly) is one of `MARGINALIA_OIDC_ISSUERS`;
* its `alg` is in our allow-list (asymmetric only; the header never chooses for us, so
  `none` and HS256-signed-with-the-public-key are refused before any key is touched);
* its signature verifies with the issuer's key named by `kid`, from the JWKS found through
  the issuer's discovery document (both fetched through the guarded outbound client);
* `aud` contains `MARGINALIA_OIDC_AUDIENCE`, `exp` is in the future and `nbf`/`iat` not,
  within a small leeway; `sub` is present.

The identity is (`iss`, `sub`); the display name comes from `name` or
`preferred_username`. Every failure is an `InvalidToken` (401) saying why; an issuer we
cannot reach is a 503, never a silent fall back to an anonymous comment.

Keys are cached per process and per issuer, refetched after `JWKS_MAX_AGE`, and
refreshed once when a token names an unknown `kid` (the issuer rotated its keys). Every
fetch, whatever triggered it, is at most one per `REFRESH_INTERVAL` per issuer, so tokens
with made-up `kid`s cannot make us hammer the issuer; a lock per issuer makes concurrent
requests share one fetch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import JWKRegistry, Key

from api.errors import DomainError, Unauthorized
from api.infra.outbound import GuardedClient, OutboundError, OutboundPolicy
from config import Settings

log = logging.getLogger(__name__)

LEEWAY = 30  # seconds of clock skew tolerated on exp, nbf and iat
JWKS_MAX_AGE = 3600  # keys are refetched after an hour
REFRESH_INTERVAL = 30  # at most one fetch per issuer in this many seconds
MAX_TOKEN_LENGTH = 16_384
MAX_DOCUMENT_BYTES = 256_000
MAX_SUBJECT_LENGTH = 255
SIGNING_KEY_TYPES = ("RSA", "EC", "OKP")

# The clock for cache ages; tests move it instead of sleeping.
clock = time.monotonic


class InvalidToken(Unauthorized):
    slug, title = "invalid-token", "Invalid commenter token"

    def __init__(self, detail: str):
        # RFC 6750: the challenge names the error; the problem's detail says why.
        super().__init__(
            f"The bearer token was refused: {detail}.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


class IssuerUnavailable(DomainError):
    status, slug, title = 503, "issuer-unavailable", "Token issuer unavailable"


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    name: str | None = None
    email: str | None = None
    url: str | None = None


@dataclass
class _IssuerKeys:
    lock: threading.Lock
    keys: list[Key] | None = None
    fetched_at: float = 0.0
    last_attempt: float | None = None


class _FetchFailed(Exception):
    pass


class OidcVerifier:
    """Validates commenter tokens for a fixed set of trusted issuers; thread-safe."""

    def __init__(
        self,
        issuers: tuple[str, ...],
        audience: str,
        algorithms: tuple[str, ...],
        *,
        allow_http: bool,
        client: GuardedClient,
    ):
        self.issuers = frozenset(issuers)
        self.audience = audience
        self.algorithms = list(algorithms)
        self.allow_http = allow_http
        self.client = client
        self._state = {issuer: _IssuerKeys(threading.Lock()) for issuer in issuers}

    # --- the token ----------------------------------------------------------------------

    def verify(self, token: str) -> Identity:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("the token is too long")
        header, unverified = _peek(token)
        alg = header.get("alg")
        if alg not in self.algorithms:
            named = repr(alg)[:20] if isinstance(alg, str) else "(none given)"
            raise InvalidToken(f"the algorithm {named} is not accepted")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise InvalidToken("the issuer is not trusted here")
        key = self._key_for(issuer, header.get("kid"), alg)
        try:
            claims = jwt.decode(token, key, algorithms=[alg]).claims
        except BadSignatureError:
            raise InvalidToken("the signature does not verify") from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidToken("the token is malformed") from None
        self._check_claims(claims, issuer)
        return _identity(claims)

    def _check_claims(self, claims: dict, issuer: str) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("the token has expired") from None
        except MissingClaimError as exc:
            raise InvalidToken(f"the token lacks the {exc.claim} claim") from None
        except InvalidClaimError as exc:
            if exc.claim == "aud":
                raise InvalidToken("the token is not meant for this site (aud)") from None
            raise InvalidToken(f"the {exc.claim} claim is invalid") from None
        if len(claims["sub"]) > MAX_SUBJECT_LENGTH or "\x00" in claims["sub"]:
            raise InvalidToken("the sub claim is too long or not text")

    # --- keys ---------------------------------------------------------------------------

    def _key_for(self, issuer: str, kid, alg: str) -> Key:
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the kid header is not a string")
        keys = self._keys(issuer)
        key = _find(keys, kid)
        if key is None and kid is not None:
            key = _find(self._keys(issuer, unknown_kid_in=keys), kid)
        if key is None:
            raise InvalidToken(
                "the token names no key id" if kid is None else "the issuer has no key with its kid"
            )
        if key.alg not in (None, alg) or key.get("use") not in (None, "sig"):
            raise InvalidToken("the key is not for this algorithm")
        return key

    def _keys(self, issuer: str, unknown_kid_in: list[Key] | None = None) -> list[Key]:
        """The issuer's keys, fetched when missing or old, or refreshed because a token
        named a key that `unknown_kid_in` (the set it was looked up in) lacks."""
        state = self._state[issuer]
        with state.lock:
            if unknown_kid_in is not None and state.keys is not unknown_kid_in:
                return state.keys  # another request refreshed while we waited
            now = clock()
            stale = state.keys is None or now - state.fetched_at >= JWKS_MAX_AGE
            may_fetch = state.last_attempt is None or now - state.last_attempt >= REFRESH_INTERVAL
            if (stale or unknown_kid_in is not None) and may_fetch:
                state.last_attempt = now
                try:
                    state.keys, state.fetched_at = self._fetch_keys(issuer), now
                except _FetchFailed as exc:
                    log.warning("OIDC keys of %s not refreshed: %s", issuer, exc)
            if state.keys is None:
                raise IssuerUnavailable(
                    "The token's issuer could not be reached to check it; retry later.",
                    headers={"Retry-After": str(REFRESH_INTERVAL)},
                )
            return state.keys

    def _fetch_keys(self, issuer: str) -> list[Key]:
        discovery = self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if discovery.get("issuer") != issuer:
            raise _FetchFailed("the discovery document names another issuer")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not self._usable_url(jwks_uri):
            raise _FetchFailed("the discovery document has no usable jwks_uri")
        document = self._get_json(jwks_uri)
        keys = []
        for data in document.get("keys") or []:
            if not isinstance(data, dict) or data.get("kty") not in SIGNING_KEY_TYPES:
                continue  # symmetric or unknown key types never verify a commenter
            try:
                keys.append(JWKRegistry.import_key(data))
            except (JoseError, ValueError, TypeError, KeyError):
                continue
        if not keys:
            raise _FetchFailed("the JWKS holds no usable signing key")
        return keys

    def _usable_url(self, url: str) -> bool:
        scheme = urlsplit(url).scheme
        return scheme == "https" or (scheme == "http" and self.allow_http)

    def _get_json(self, url: str) -> dict:
        try:
            result = self.client.get(url, headers={"Accept": "application/json"})
        except OutboundError as exc:
            raise _FetchFailed(f"{url}: {exc.message}") from None
        if result.status_code != 200:
            raise _FetchFailed(f"{url} answered {result.status_code}")
        try:
            document = json.loads(result.content)
        except ValueError:
            raise _FetchFailed(f"{url} is not JSON") from None
        if not isinstance(document, dict):
            raise _FetchFailed(f"{url} is not a JSON object")
        return document


def _peek(token: str) -> tuple[dict, dict]:
    """Header and claims before verification: only to pick the issuer and key."""
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = compact.headers()
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError):
        raise InvalidToken("the token is not a signed JWT") from None
    if not isinstance(claims, dict):
        raise InvalidToken("the token's payload is not a JSON object")
    return header, claims


def _find(keys: list[Key], kid: str | None) -> Key | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.kid == kid), None)


def _identity(claims: dict) -> Identity:
    def text(name: str, limit: int) -> str | None:
        value = claims.get(name)
        if isinstance(value, str) and value.strip() and "\x00" not in value:
            return " ".join(value.split())[:limit]
        return None

    url = text("website", 2000) or text("profile", 2000)
    if url and urlsplit(url).scheme not in ("http", "https"):
        url = None
    email = text("email", 320) if claims.get("email_verified") is not False else None
    return Identity(
        issuer=claims["iss"],
        subject=claims["sub"],
        name=text("name", 200) or text("preferred_username", 200) or text("nickname", 200),
        email=email,
        url=url,
    )


# --- one verifier per configuration, shared by every request of the app ----------------

_registry_lock = threading.Lock()


def verifier_for(app: Flask, settings: Settings) -> OidcVerifier | None:
    """The app's verifier for these settings (None when no issuer is configured)."""
    if not settings.oidc_issuers:
        return None
    config = (
        settings.oidc_issuers,
        settings.oidc_audience,
        settings.oidc_algorithms,
        settings.allow_private_targets,
    )
    with _registry_lock:
        verifiers = app.extensions.setdefault("marginalia.oidc", {})
        verifier = verifiers.get(config)
        if verifier is None:
            client = GuardedClient(
                OutboundPolicy(
                    allow_private=settings.allow_private_targets,
                    connect_timeout=3.0,
                    read_timeout=5.0,
                    max_bytes=MAX_DOCUMENT_BYTES,
                    max_redirects=2,
                    user_agent="Marginalia/0.1 (+oidc)",
                )
            )
            verifier = OidcVerifier(
                settings.oidc_issuers,
                settings.oidc_audience,
                settings.oidc_algorithms,
                allow_http=settings.allow_private_targets,
                client=client,
            )
            verifiers[config] = verifier
        return verifier
