"""OIDC commenters against a real issuer on 127.0.0.1 (discovery and JWKS over HTTP,
tokens minted here with joserfc): valid tokens comment as their identity, every kind of
bad token is a 401, and a key rotation is picked up without a restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc.jwk import RSAKey

from api.auth import oidc
from tests.comments.helpers import Issuer, bearer


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


@pytest.fixture
def clock(monkeypatch):
    """The key cache's clock, moved by the test instead of sleeping."""
    now = [10_000.0]
    monkeypatch.setattr(oidc, "clock", lambda: now[0])
    return now


def test_valid_token_comments_as_its_identity(
    client, post, submit, issuer, stored, approve, discussion
):
    discussion(flood_interval=0)
    token = issuer.mint()
    # Whatever the body claims, the identity is the token's.
    first = submit(post["slug"], "Signed in.", headers=bearer(token), author_email=None)
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert body["status"] == "pending"
    assert body["author_name"] == "Ada Reader"
    row = stored(body["id"])
    assert (row.identity_issuer, row.identity_subject) == (issuer.url, "reader-42")
    assert row.author_email == "ada@reader.example"

    approve(body["id"])
    # The same identity under another display name is still the same author.
    again = submit(
        post["slug"], "Me again.", headers=bearer(issuer.mint(name="Ada R.")), author_email=None
    )
    assert again.get_json()["status"] == "approved"
    assert again.get_json()["author_name"] == "Ada R."
    # Someone else with the same name is not.
    other = submit(
        post["slug"], "Not Ada.", headers=bearer(issuer.mint(sub="someone-else")), author_email=None
    )
    assert other.get_json()["status"] == "pending"

    listing = client.get(f"/v1/posts/{post['slug']}/comments").get_data(as_text=True)
    assert "reader-42" not in listing and "ada@reader.example" not in listing


def test_name_falls_back_to_preferred_username_then_to_the_body(post, submit, issuer):
    token = issuer.mint(name=None, preferred_username="ada42")
    assert submit(post["slug"], "Hi.", headers=bearer(token)).get_json()["author_name"] == "ada42"
    nameless = bearer(issuer.mint(sub="anon-1", name=None))
    refused = submit(post["slug"], "Who am I?", headers=nameless, author_name=None)
    assert refused.status_code == 422
    named = submit(post["slug"], "I am Bo.", headers=nameless, author_name="Bo")
    assert named.get_json()["author_name"] == "Bo"


def _forged(issuer: Issuer) -> dict[str, str]:
    now = int(time.time())
    valid = issuer.mint()
    header, _, signature = valid.split(".")
    tampered_claims = issuer.claims(sub="admin")
    rogue = RSAKey.generate_key(2048, parameters={"kid": "rogue"})
    public_pem = issuer.signing_key.as_pem(private=False)
    hs_input = segments(
        {"alg": "HS256", "typ": "JWT", "kid": issuer.signing_key.kid}, issuer.claims()
    )
    hs_signature = hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest()
    untrusted = Issuer()  # never started: its tokens name an issuer we do not trust
    untrusted.server.server_close()
    return {
        "expired": issuer.mint(iat=now - 3600, nbf=now - 3600, exp=now - 600),
        "wrong aud": issuer.mint(aud="someone-else"),
        "no aud": issuer.mint(aud=None),
        "wrong iss": issuer.mint(iss=issuer.url + "/other"),
        "untrusted issuer": untrusted.mint(iss=untrusted.url),
        "alg none": segments({"alg": "none", "typ": "JWT"}, issuer.claims()) + ".",
        "HS256 with the public key": f"{hs_input}.{b64(hs_signature)}",
        "unknown kid": issuer.mint(key=rogue),
        "tampered payload": f"{header}.{b64(json.dumps(tampered_claims).encode())}.{signature}",
        "not yet valid": issuer.mint(nbf=now + 3600),
        "issued in the future": issuer.mint(iat=now + 3600),
        "no exp": issuer.mint(exp=None),
        "no sub": issuer.mint(sub=None),
        "garbage": "not.a.jwt",
    }


def test_every_bad_token_is_401_never_an_anonymous_comment(
    post, submit, issuer, all_comments, discussion
):
    discussion(flood_interval=0)
    for case, token in _forged(issuer).items():
        response = submit(post["slug"], f"Trying: {case}.", headers=bearer(token))
        assert response.status_code == 401, case
        problem = response.get_json()
        assert problem["type"] == "/problems/invalid-token", case
        assert problem["detail"].startswith("The bearer token was refused:"), case
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert all_comments() == []
    # The issuer was asked once (discovery + JWKS), however many bad tokens came.
    assert issuer.hits == {"/.well-known/openid-configuration": 1, "/jwks": 1}


def test_reasons_say_what_is_wrong(post, submit, issuer):
    now = int(time.time())
    cases = {
        "the token has expired": issuer.mint(exp=now - 600),
        "the token is not meant for this site (aud)": issuer.mint(aud="other"),
        "the algorithm 'none' is not accepted": segments({"alg": "none"}, issuer.claims()) + ".",
        "the issuer has no key with its kid": issuer.mint(
            key=RSAKey.generate_key(2048, parameters={"kid": "rogue"})
        ),
    }
    for reason, token in cases.items():
        detail = submit(post["slug"], headers=bearer(token)).get_json()["detail"]
        assert reason in detail


def test_key_rotation_is_picked_up_without_restart(post, submit, issuer, clock, discussion):
    discussion(flood_interval=0)
    assert submit(post["slug"], "Old key.", headers=bearer(issuer.mint())).status_code == 202
    new_key = issuer.rotate()

    # A burst of tokens with the new kid right after our fetch: refreshes are rate
    # limited, so the issuer is not hammered and the tokens wait for the next refresh.
    for n in range(5):
        early = submit(post["slug"], f"Too early {n}.", headers=bearer(issuer.mint(key=new_key)))
        assert early.status_code == 401
    assert issuer.hits["/jwks"] == 1

    clock[0] += oidc.REFRESH_INTERVAL
    rotated = submit(post["slug"], "New key.", headers=bearer(issuer.mint(key=new_key)))
    assert rotated.status_code == 202, rotated.get_json()
    assert issuer.hits["/jwks"] == 2
    # Both keys are published during the rotation; the old one still verifies.
    assert submit(post["slug"], "Old again.", headers=bearer(issuer.mint())).status_code == 202
    assert issuer.hits["/jwks"] == 2

    # Made-up kids do not cost the issuer more than one fetch per interval.
    rogue = RSAKey.generate_key(2048, parameters={"kid": "rogue"})
    clock[0] += oidc.REFRESH_INTERVAL
    for _ in range(5):
        assert submit(post["slug"], headers=bearer(issuer.mint(key=rogue))).status_code == 401
    assert issuer.hits["/jwks"] == 3


def test_keys_are_cached_and_refetched_when_old(post, submit, issuer, clock, discussion):
    discussion(flood_interval=0)
    for n in range(3):
        assert (
            submit(post["slug"], f"Cached {n}.", headers=bearer(issuer.mint())).status_code == 202
        )
    assert issuer.hits["/jwks"] == 1
    clock[0] += oidc.JWKS_MAX_AGE
    assert submit(post["slug"], "Refetched.", headers=bearer(issuer.mint())).status_code == 202
    assert issuer.hits["/jwks"] == 2


def test_unreachable_issuer_is_503_and_staff_tokens_do_not_comment(
    post, submit, issuer, make_token
):
    token = issuer.mint()
    issuer.server.shutdown()
    issuer.server.server_close()
    down = submit(post["slug"], "Anyone there?", headers=bearer(token))
    assert down.status_code == 503
    assert down.get_json()["type"] == "/problems/issuer-unavailable"
    assert down.headers["Retry-After"] == str(oidc.REFRESH_INTERVAL)

    staff = submit(post["slug"], "As admin.", headers=bearer(make_token("admin")))
    assert staff.status_code == 401
    assert "staff tokens" in staff.get_json()["detail"]


def test_without_configured_issuers_a_token_is_401(post, submit):
    response = submit(post["slug"], headers=bearer("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"))
    assert response.status_code == 401
    assert "trusts no OIDC issuer" in response.get_json()["detail"]
