"""`JWSVerifier.verify_jwt` (userinfo, introspection, revocation) decides as `verify_jwt`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tessera.crypto.jws import JWSVerifier
from tessera.crypto.jwt import Claims, JWTError, build_key_set, sign_jwt, verify_jwt
from tessera.crypto.keys import Algorithm, SigningKey, build_signing_key, generate_private_key

NOW = 1_800_000_000
ISSUER = "https://as.test"
CLAIMS = {"iss": ISSUER, "aud": "https://api.test", "exp": NOW + 60, "iat": NOW, "sub": "u"}


def _key(alg: Algorithm) -> SigningKey:
    return build_signing_key(generate_private_key(alg), alg)


def _tokens(key: SigningKey, other: SigningKey) -> dict[str, str]:
    good = sign_jwt(CLAIMS, key, typ="at+jwt")
    header, _, signature = good.split(".")
    forged = sign_jwt({**CLAIMS, "sub": "admin"}, key).split(".")[1]
    return {
        "good": good,
        "wrong-typ": sign_jwt(CLAIMS, key),
        "wrong-iss": sign_jwt({**CLAIMS, "iss": "https://evil.test"}, key, typ="at+jwt"),
        "expired": sign_jwt({**CLAIMS, "exp": NOW}, key, typ="at+jwt"),
        "not-an-object": sign_jwt([1], key, typ="at+jwt"),  # type: ignore[arg-type]
        "forged": f"{header}.{forged}.{signature}",
        "other-key": sign_jwt(CLAIMS, other, typ="at+jwt"),
        "garbage": "not-a-jwt",
    }


def _outcome(verify: Callable[[str], Claims], token: str) -> Claims | str:
    try:
        return verify(token)
    except JWTError:
        return "refused"


@pytest.mark.parametrize("alg", list(Algorithm), ids=lambda alg: alg.value)
def test_the_verifier_accepts_and_refuses_what_verify_jwt_does(alg: Algorithm) -> None:
    key = _key(alg)
    keys = build_key_set([key.public_jwk])
    verifier = JWSVerifier(keys)

    def joserfc(token: str) -> Claims:
        return verify_jwt(token, keys, issuer=ISSUER, audience=None, typ="at+jwt", now=NOW)

    def ours(token: str) -> Claims:
        return verifier.verify_jwt(token, issuer=ISSUER, audience=None, typ="at+jwt", now=NOW)

    outcomes = {
        name: (_outcome(joserfc, token), _outcome(ours, token))
        for name, token in _tokens(key, _key(alg)).items()
    }
    assert all(theirs == mine for theirs, mine in outcomes.values()), outcomes
    assert outcomes["good"][1] == CLAIMS
    assert [name for name, (_, mine) in outcomes.items() if mine != "refused"] == ["good"]
