"""Signed comment-form tokens: a bot trap that survives page caching.

A cached page cannot carry a per-visitor secret, so the frontend fetches a token
(`GET /v1/posts/{slug}/comment-token`) when the form is shown and sends it back with the
comment. The token proves three things without any server-side state:

* we issued it, for this post (HMAC-SHA256 with a key derived from the app secret);
* at a known time: a comment arriving sooner than a human can type one is ``too_fast``,
  one arriving after ``max_age`` is ``too_old`` (a harvested token replayed for days);
* to the same client: the MAC covers a *client hint*, by default a hash of the
  User-Agent. Not the IP address: phones change networks between reading and posting.

Format (URL-safe, no padding): ``1.<base64url(issued_ms ‖ nonce)>.<base64url(mac)>``.
The post id is not in the token; `check` is told which post the comment is for and a
token for another post fails its MAC (``forged``). The nonce makes every token unique,
so a later single-use store can key on it.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import secrets
import struct
from datetime import datetime

VERSION = "1"
NONCE_BYTES = 8
_PAYLOAD = struct.Struct(">Q8s")  # issue time in ms since the epoch, nonce
_MAC_BYTES = 32
_CONTEXT = b"marginalia comment-form token v1"
MAX_TOKEN_CHARS = 200  # anything longer is not ours; refuse before decoding
# Strict alphabet: the base64 decoder would silently skip stray characters otherwise.
_TOKEN_SHAPE = re.compile(r"[0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class TokenVerdict(enum.StrEnum):
    OK = "ok"
    TOO_FAST = "too_fast"
    TOO_OLD = "too_old"
    FORGED = "forged"  # malformed, another key, another post or another client
    MISSING = "missing"


def client_hint(user_agent: str | None) -> str:
    """The client hint the token is bound to: a digest of the User-Agent header."""
    return hashlib.sha256((user_agent or "").encode("utf-8", "surrogatepass")).hexdigest()


def _key(secret: str | bytes) -> bytes:
    # A key of its own, so a MAC made here can never stand for one made elsewhere with
    # the same app secret (pagination cursors, edit tokens).
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _CONTEXT, hashlib.sha256).digest()


def _mac(key: bytes, post_id: int | str, payload: bytes, hint: str) -> bytes:
    message = b"\n".join((VERSION.encode(), str(post_id).encode(), payload, hint.encode()))
    return hmac.new(key, message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _ms(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return round(now.timestamp() * 1000)


class FormTokens:
    """Issues and checks tokens with one app secret (build it once per app)."""

    def __init__(self, secret: str | bytes) -> None:
        if not secret:
            raise ValueError("a secret is required to sign comment-form tokens")
        self._key = _key(secret)

    def issue(self, post_id: int | str, client_hint: str, now: datetime) -> str:
        """A new token for the form of `post_id`, shown to the client with `client_hint`."""
        payload = _PAYLOAD.pack(_ms(now), secrets.token_bytes(NONCE_BYTES))
        mac = _mac(self._key, post_id, payload, client_hint)
        return f"{VERSION}.{_b64(payload)}.{_b64(mac)}"

    def check(
        self,
        token: str | None,
        post_id: int | str,
        client_hint: str,
        now: datetime,
        *,
        min_fill_seconds: float = 3.0,
        max_age: float = 86400.0,
    ) -> TokenVerdict:
        """Judge the token sent with a comment on `post_id` by the client with `client_hint`."""
        if not token:
            return TokenVerdict.MISSING
        if len(token) > MAX_TOKEN_CHARS or not _TOKEN_SHAPE.fullmatch(token):
            return TokenVerdict.FORGED
        version, payload_text, mac_text = token.split(".")
        try:
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            return TokenVerdict.FORGED
        if version != VERSION or len(payload) != _PAYLOAD.size or len(mac) != _MAC_BYTES:
            return TokenVerdict.FORGED
        if not hmac.compare_digest(mac, _mac(self._key, post_id, payload, client_hint)):
            return TokenVerdict.FORGED
        issued_ms, _nonce = _PAYLOAD.unpack(payload)
        age = (_ms(now) - issued_ms) / 1000
        # A token "from the future" (two app servers' clocks disagree) counts as too
        # fast: erring toward the queue, never toward approval.
        if age < min_fill_seconds:
            return TokenVerdict.TOO_FAST
        if age > max_age:
            return TokenVerdict.TOO_OLD
        return TokenVerdict.OK
