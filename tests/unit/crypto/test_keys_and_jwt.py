from __future__ import annotations

import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from joserfc import jws
from joserfc.jwk import ECKey

from tessera.crypto.jwt import JWTError, build_key_set, sign_jwt, validate_claims, verify_jwt
from tessera.crypto.keys import (
    Algorithm,
    KeyDecryptionError,
    build_signing_key,
    decode_b64url,
    generate_private_key,
    jwks_document,
    open_private_key,
    seal_private_key,
    thumbprint,
)

NOW = 1_800_000_000
CLAIMS = {"iss": "https://as.test", "aud": "https://api.test", "exp": NOW + 60, "iat": NOW}


@pytest.fixture(scope="module", params=list(Algorithm), ids=lambda alg: alg.value)
def key(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    alg = request.param
    return build_signing_key(generate_private_key(alg), alg)


def test_public_jwk_has_kid_use_alg_and_no_private_members(key) -> None:  # type: ignore[no-untyped-def]
    jwk = key.public_jwk
    assert jwk["kid"] == key.kid and jwk["use"] == "sig" and jwk["alg"] == key.alg.value
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 7638 section 3.1 example key.
    members = {
        "e": "AQAB",
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
        "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
        "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
        "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    }
    assert thumbprint(members) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_signed_token_verifies_with_published_jwks(key) -> None:  # type: ignore[no-untyped-def]
    signed = {**CLAIMS, "name": "Zoë Ångström 山田"}  # The payload is UTF-8 JSON (RFC 7519 7.1).
    keys = build_key_set([key.public_jwk])
    for typ in ("at+jwt", "JWT", "at+jwt"):  # Each key and typ has its own (reused) header.
        token = sign_jwt(signed, key, typ=typ)
        claims = verify_jwt(
            token, keys, issuer="https://as.test", audience="https://api.test", typ=typ, now=NOW
        )
        assert claims == signed
        header = json.loads(decode_b64url(token.split(".")[0]))
        assert header == {"alg": key.alg.value, "kid": key.kid, "typ": typ}


def test_joserfc_accepts_what_we_sign(key) -> None:  # type: ignore[no-untyped-def]
    token = sign_jwt(CLAIMS, key)
    result = jws.deserialize_compact(token, build_key_set([key.public_jwk]), algorithms=[key.alg])
    assert json.loads(result.payload) == CLAIMS


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "https://evil.test"}, "issuer"),
        ({"aud": "https://other.test"}, "audience"),
        ({"exp": NOW}, "expired"),
        ({"nbf": NOW + 10}, "not yet valid"),
        ({"iat": NOW + 10}, "future"),
        ({"exp": "soon"}, "not a number"),
        ({"exp": True}, "not a number"),
    ],
    ids=["wrong-iss", "wrong-aud", "expired", "nbf-future", "iat-future", "exp-string", "exp-bool"],
)
def test_failing_claims_are_refused(change: dict[str, object], reason: str) -> None:
    with pytest.raises(JWTError, match=reason):
        validate_claims(
            {**CLAIMS, **change}, issuer="https://as.test", audience="https://api.test", now=NOW
        )


def test_missing_exp_is_refused() -> None:
    claims = {k: v for k, v in CLAIMS.items() if k != "exp"}
    with pytest.raises(JWTError, match="missing exp"):
        validate_claims(claims, issuer="https://as.test", audience=None, now=NOW)


def test_audience_may_be_a_list_and_leeway_applies() -> None:
    claims = {**CLAIMS, "aud": ["x", "https://api.test"], "exp": NOW - 5}
    validate_claims(
        claims, issuer="https://as.test", audience="https://api.test", now=NOW, leeway=10
    )


def test_wrong_type_tampering_and_unknown_key_are_refused(key) -> None:  # type: ignore[no-untyped-def]
    keys = build_key_set([key.public_jwk])
    token = sign_jwt(CLAIMS, key, typ="JWT")
    with pytest.raises(JWTError, match="type"):
        verify_jwt(token, keys, issuer="https://as.test", audience=None, typ="at+jwt", now=NOW)
    header, payload, signature = token.split(".")
    forged = sign_jwt({**CLAIMS, "sub": "admin"}, key).split(".")[1]
    with pytest.raises(JWTError, match="signature"):
        verify_jwt(
            f"{header}.{forged}.{signature}",
            keys,
            issuer="https://as.test",
            audience=None,
            typ=None,
            now=NOW,
        )
    other = build_signing_key(generate_private_key(key.alg), key.alg)
    with pytest.raises(JWTError, match="signature"):
        verify_jwt(
            token,
            build_key_set([other.public_jwk]),
            issuer="https://as.test",
            audience=None,
            typ=None,
            now=NOW,
        )
    with pytest.raises(JWTError, match="signature"):
        verify_jwt("not-a-jwt", keys, issuer="https://as.test", audience=None, typ=None, now=NOW)


def test_sealed_key_opens_only_with_its_secret_and_kid(key) -> None:  # type: ignore[no-untyped-def]
    sealed = seal_private_key(key, "secret-one-0123456789abcdef0123456789")
    assert (
        open_private_key(sealed, key.kid, key.alg, "secret-one-0123456789abcdef0123456789").kid
        == key.kid
    )
    with pytest.raises(KeyDecryptionError, match="TESSERA_SECRET_KEY"):
        open_private_key(sealed, key.kid, key.alg, "secret-two-0123456789abcdef0123456789")
    with pytest.raises(KeyDecryptionError):
        open_private_key(sealed, "another-kid", key.alg, "secret-one-0123456789abcdef0123456789")


def test_jwks_document_lists_keys(key) -> None:  # type: ignore[no-untyped-def]
    assert json.loads(jwks_document([key.public_jwk])) == {"keys": [key.public_jwk]}


SECRET = "secret-one-0123456789abcdef0123456789"


def test_a_sealed_key_whose_contents_are_not_its_kids_is_refused() -> None:
    """Decryption binds the kid; the key inside must also be the key the kid names."""
    real = build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)
    mislabelled = replace(real, kid="someone-else")
    with pytest.raises(KeyDecryptionError, match="does not match"):
        open_private_key(seal_private_key(mislabelled, SECRET), "someone-else", real.alg, SECRET)


def test_a_sealed_key_of_a_type_tessera_does_not_sign_with_is_refused() -> None:
    real = build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)
    foreign = replace(real, private_key=x25519.X25519PrivateKey.generate())  # type: ignore[arg-type]
    with pytest.raises(KeyDecryptionError, match="unsupported type"):
        open_private_key(seal_private_key(foreign, SECRET), real.kid, real.alg, SECRET)


def test_a_signed_payload_that_is_not_json_is_refused() -> None:
    key = build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)
    keys = build_key_set([key.public_jwk])
    header = {"alg": "ES256", "kid": key.kid}
    private = ECKey.import_key(
        key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    token = jws.serialize_compact(header, b"not json", private, algorithms=["ES256"])
    with pytest.raises(JWTError, match="not JSON"):
        verify_jwt(token, keys, issuer="https://as.test", audience=None, typ=None, now=NOW)
