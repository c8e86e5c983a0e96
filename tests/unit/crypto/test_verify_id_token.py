"""A relying party's ID token checks (OIDC Core 3.1.3.7), as tessera's own clients use them."""

from __future__ import annotations

import pytest

from tessera.crypto.jwt import JWTError, build_key_set, id_token_hash, sign_jwt, verify_id_token
from tessera.crypto.keys import Algorithm, SigningKey, build_signing_key, generate_private_key

NOW = 1_800_000_000
ISSUER = "https://as.test"
ACCESS_TOKEN = "eyJ.access.token"


@pytest.fixture(scope="module", params=list(Algorithm), ids=lambda alg: alg.value)
def key(request: pytest.FixtureRequest) -> SigningKey:
    alg: Algorithm = request.param
    return build_signing_key(generate_private_key(alg), alg)


def _id_token(key: SigningKey, **changes: object) -> str:
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": "client-1",
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": "n-1",
        "at_hash": id_token_hash(ACCESS_TOKEN, key.alg),
    }
    claims.update(changes)
    return sign_jwt({name: value for name, value in claims.items() if value is not None}, key)


def _verify(key: SigningKey, token: str, *, access_token: str | None = ACCESS_TOKEN) -> object:
    return verify_id_token(
        token,
        build_key_set([key.public_jwk]),
        issuer=ISSUER,
        client_id="client-1",
        nonce="n-1",
        access_token=access_token,
        now=NOW,
    )


def test_a_good_id_token_gives_its_claims(key: SigningKey) -> None:
    claims = _verify(key, _id_token(key))
    assert isinstance(claims, dict) and claims["sub"] == "user-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": "n-2"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "at_hash"),
        ({"aud": "client-2"}, "aud"),
        ({"iss": "https://evil.test"}, "iss"),
        ({"exp": NOW - 3600}, "exp"),
    ],
)
def test_each_failing_check_is_refused(
    key: SigningKey, changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(JWTError, match=reason):
        _verify(key, _id_token(key, **changes))


def test_at_hash_is_checked_only_against_a_token_that_came_with_it(key: SigningKey) -> None:
    token = _id_token(key, at_hash="AAAAAAAAAAAAAAAAAAAAAA")
    assert isinstance(_verify(key, token, access_token=None), dict)


def test_a_token_signed_by_another_key_is_refused(key: SigningKey) -> None:
    other = build_signing_key(generate_private_key(key.alg), key.alg)
    with pytest.raises(JWTError, match="signature"):
        _verify(key, _id_token(other))
