"""Endpoint secrets: generating them, keeping them unreadable at rest, signing with them.

Secrets follow the Standard Webhooks format, `whsec_` + base64 of 32 random bytes; the
HMAC key is those bytes. At rest a secret is a Fernet token (AES-128-CBC + HMAC-SHA256)
under a key derived with HKDF from the application's SECRET_KEY, which is never stored
in the database: a dump alone yields no usable secret. Changing SECRET_KEY therefore
makes stored secrets unreadable (deliveries fail with a clear error) until each
endpoint's secret is rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105  (a format prefix, not a secret)
_KDF_INFO = b"marginalia webhook endpoint secrets v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with this SECRET_KEY."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode("ascii")).decode("ascii")


def unseal(ciphertext: str, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError, UnicodeError):
        raise SecretUnreadable(
            "the endpoint secret cannot be decrypted (was SECRET_KEY changed?); rotate it"
        ) from None


def signing_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` (Standard Webhooks)."""
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature per live secret, space-separated: during a rotation receivers holding
    either the old or the new secret can verify."""
    return " ".join(signature(key, msg_id, timestamp, body) for key in keys)
