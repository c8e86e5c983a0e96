"""Reading tessera's own access tokens: the Bearer credential and the JWT checks."""

from __future__ import annotations

import pytest

from tessera.core.access_tokens import decode_access_token, parse_bearer_token
from tessera.core.errors import InvalidRequestError, InvalidTokenError, MissingTokenError
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.jwt import build_key_set, sign_jwt
from tessera.crypto.keys import Algorithm, build_signing_key, generate_private_key

NOW = 1_800_000_000
ISSUER = "https://as.test"
KEY = build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)
KEYS = JWSVerifier(build_key_set([KEY.public_jwk]))
CLAIMS = {
    "iss": ISSUER,
    "sub": "u1",
    "aud": "https://api.test",
    "client_id": "app",
    "scope": "openid read:x",
    "iat": NOW,
    "exp": NOW + 60,
    "jti": "g1.abc",
}


def test_header_token_and_body_token_are_read() -> None:
    assert parse_bearer_token(["Bearer abc.def"], None) == "abc.def"
    assert parse_bearer_token(["bearer   abc "], None) == "abc"
    assert parse_bearer_token([], "abc") == "abc"
    assert parse_bearer_token(["Basic YXBwOng="], "abc") == "abc"


@pytest.mark.parametrize("authorization", [[], ["Basic YXBwOng="]], ids=["nothing", "basic"])
def test_no_bearer_credentials_is_a_missing_token(authorization: list[str]) -> None:
    with pytest.raises(MissingTokenError):
        parse_bearer_token(authorization, None)


@pytest.mark.parametrize(
    ("authorization", "form_token"),
    [
        (["Bearer abc"], "abc"),
        (["Bearer "], None),
        (["Bearer a b"], None),
        (["Bearer a", "Bearer b"], None),
        (["Bearer " + "a" * 8193], None),
        ([], "a" * 8193),
    ],
    ids=["twice", "empty", "two-tokens", "two-headers", "too-long", "too-long-in-body"],
)
def test_malformed_bearer_credentials_are_invalid_request(
    authorization: list[str], form_token: str | None
) -> None:
    with pytest.raises(InvalidRequestError):
        parse_bearer_token(authorization, form_token)


def test_a_valid_access_token_decodes_to_its_claims() -> None:
    access = decode_access_token(sign_jwt(CLAIMS, KEY, typ="at+jwt"), KEYS, issuer=ISSUER, now=NOW)
    assert (access.jti, access.subject, access.client_id) == ("g1.abc", "u1", "app")
    assert access.scope == {"openid", "read:x"} and access.expires_at == NOW + 60
    assert access.claims == CLAIMS


@pytest.mark.parametrize(
    ("claims", "typ"),
    [
        (CLAIMS, "JWT"),
        ({**CLAIMS, "exp": NOW}, "at+jwt"),
        ({**CLAIMS, "iss": "https://evil.test"}, "at+jwt"),
        ({k: v for k, v in CLAIMS.items() if k != "jti"}, "at+jwt"),
        ({**CLAIMS, "scope": ["openid"]}, "at+jwt"),
        ({**CLAIMS, "scope": "openid  read:x"}, "at+jwt"),
    ],
    ids=[
        "id-token-type",
        "expired",
        "other-issuer",
        "no-jti",
        "scope-not-a-string",
        "scope-malformed",
    ],
)
def test_anything_else_is_invalid_token(claims: dict[str, object], typ: str) -> None:
    with pytest.raises(InvalidTokenError):
        decode_access_token(sign_jwt(claims, KEY, typ=typ), KEYS, issuer=ISSUER, now=NOW)


def test_a_token_signed_by_an_unknown_key_is_invalid() -> None:
    other = build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)
    with pytest.raises(InvalidTokenError):
        decode_access_token(sign_jwt(CLAIMS, other, typ="at+jwt"), KEYS, issuer=ISSUER, now=NOW)
