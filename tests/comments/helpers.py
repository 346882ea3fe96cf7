"""Helpers of the comments tests (one module, imported once: conftest files are not)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from joserfc import jwt
from joserfc.jwk import RSAKey

_addresses = itertools.count(1)


def new_ip() -> str:
    """A client address of its own, so flood checks and rate limits don't mix requests."""
    number = next(_addresses)
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Issuer:
    """An OIDC issuer on 127.0.0.1: its own RSA keys, discovery and JWKS over real HTTP."""

    audience = "marginalia"

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.hits: Counter[str] = Counter()
        self.keys: list[RSAKey] = []
        self.signing_key = self.add_key()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add_key(self) -> RSAKey:
        key = RSAKey.generate_key(
            2048, parameters={"kid": f"key-{len(self.keys) + 1}", "use": "sig", "alg": "RS256"}
        )
        self.keys.append(key)
        return key

    def rotate(self) -> RSAKey:
        """A new signing key (new kid), published beside the old one, as issuers do."""
        self.signing_key = self.add_key()
        return self.signing_key

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "reader-42",
            "aud": [self.audience, "another-client"],
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "name": "Ada Reader",
            "email": "ada@reader.example",
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def mint(self, key: RSAKey | None = None, header: dict | None = None, **claims) -> str:
        key = key or self.signing_key
        return jwt.encode(
            {"alg": "RS256", "kid": key.kid, **(header or {})}, self.claims(**claims), key
        )

    def _handler(self):
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.hits[self.path] += 1
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": [key.as_dict(private=False) for key in issuer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
