"""What the validator accepts and refuses (RFC 9068 4, RFC 6750 3.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tessera.crypto.keys import SigningKey
from tessera.crypto.tokens import b64url
from tessera.resource import (
    AccessToken,
    BearerTokenValidator,
    InsufficientScopeError,
    InvalidTokenError,
    MissingTokenError,
)
from tests.conftest import Clock
from tests.unit.resource.conftest import (
    AUDIENCE,
    ISSUER,
    FakeIssuer,
    ValidatorFactory,
    sign_compact,
)


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value).encode())


def _resign_hs256(token: str, secret: bytes, **header: Any) -> str:
    """The token's claims under a new header, MACed with `secret`."""
    _, payload, _ = token.split(".")
    signing_input = f"{_segment(header)}.{payload}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
async def test_valid_token_gives_the_caller(
    validator: BearerTokenValidator,
    issuer: FakeIssuer,
    signing_keys: dict[str, SigningKey],
    alg: str,
) -> None:
    token = await validator.verify(issuer.mint(signing_keys[alg]))
    assert token == AccessToken(
        sub="user-1",
        client_id="client-1",
        scopes=("openid", "read:messages"),
        claims=issuer.claims(),
    )
    assert token.expires_at == issuer.claims()["exp"]
    assert "claims" not in repr(token)


async def test_application_at_jwt_type_and_a_single_audience_string_are_accepted(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    token = await validator.verify(issuer.mint(typ="application/AT+JWT", aud=AUDIENCE))
    assert token.sub == "user-1"


async def test_a_token_without_scope_has_none(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    assert (await validator.verify(issuer.mint(scope=None))).scopes == ()


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "openid read:messages write:messages"
    return f"{header}.{_segment(claims)}.{signature}"


def _flip_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[len(raw) // 2] ^= 1
    return f"{header}.{payload}.{b64url(bytes(raw))}"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_tamper_payload, id="tampered-payload"),
        pytest.param(_flip_signature, id="wrong-signature"),
        pytest.param(lambda token: token + ".x", id="extra-segment"),
        pytest.param(lambda token: token.rsplit(".", 1)[0], id="two-segments"),
        pytest.param(lambda token: "not-a-jwt", id="garbage"),
        pytest.param(lambda token: token[:-2] + "==", id="padded-base64"),
    ],
)
async def test_altered_tokens_are_refused(
    validator: BearerTokenValidator, issuer: FakeIssuer, change: Any
) -> None:
    with pytest.raises(InvalidTokenError):
        await validator.verify(change(issuer.mint()))


async def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_refused(
    validator: BearerTokenValidator, issuer: FakeIssuer, signing_keys: dict[str, SigningKey]
) -> None:
    impostor = signing_keys["RS256-next"]
    forged = issuer.mint(impostor).split(".")
    genuine = issuer.mint().split(".")
    with pytest.raises(InvalidTokenError):  # Its own kid: unknown to the issuer.
        await validator.verify(".".join(forged))
    with pytest.raises(InvalidTokenError):  # A published kid, the wrong key's signature.
        await validator.verify(".".join([genuine[0], forged[1], forged[2]]))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"iss": "https://evil.test"}, id="wrong-iss"),
        pytest.param({"aud": ["https://other-api.test"]}, id="wrong-aud"),
        pytest.param({"aud": f"{ISSUER}/userinfo"}, id="userinfo-only"),
        pytest.param({"exp": 1_800_000_000 - 31}, id="expired-beyond-leeway"),
        pytest.param({"nbf": 1_800_000_000 + 31}, id="not-yet-valid"),
        pytest.param({"iat": 1_800_000_000 + 31}, id="issued-in-the-future"),
        pytest.param({"exp": None}, id="no-exp"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"sub": 7}, id="numeric-sub"),
        pytest.param({"client_id": ""}, id="empty-client_id"),
        pytest.param({"jti": None}, id="no-jti"),
        pytest.param({"iat": None}, id="no-iat"),
        pytest.param({"iat": "now"}, id="string-iat"),
        pytest.param({"scope": ["read:messages"]}, id="scope-list"),
    ],
)
async def test_claims_that_fail_are_refused(
    validator: BearerTokenValidator, issuer: FakeIssuer, changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidTokenError):
        await validator.verify(issuer.mint(**changes))


async def test_leeway_absorbs_small_clock_skew(
    make_validator: ValidatorFactory, issuer: FakeIssuer, clock: Clock
) -> None:
    token = issuer.mint(iat=int(clock()) + 20, exp=int(clock()) - 20)
    assert (await make_validator(leeway=30).verify(token)).sub == "user-1"
    with pytest.raises(InvalidTokenError):
        await make_validator(leeway=0).verify(token)


@pytest.mark.parametrize("typ", ["JWT", "id_token+jwt", "at+jwt+x"])
async def test_tokens_of_another_type_are_refused(
    validator: BearerTokenValidator, issuer: FakeIssuer, typ: str
) -> None:
    # An ID token signed by the same issuer for the same audience must not open the API.
    with pytest.raises(InvalidTokenError):
        await validator.verify(issuer.mint(typ=typ))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2]", '{"sub": "\u00e9"}'.encode("utf-16")],
    ids=["not-json", "json-list", "utf-16"],
)
async def test_payloads_that_are_not_a_utf8_json_object_are_refused(
    validator: BearerTokenValidator, issuer: FakeIssuer, payload: bytes
) -> None:
    key = issuer.keys[0]
    header = json.dumps({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}).encode()
    token = sign_compact(key, header, payload)
    with pytest.raises(InvalidTokenError):
        await validator.verify(token)


async def test_alg_none_is_refused(validator: BearerTokenValidator, issuer: FakeIssuer) -> None:
    _, payload, _ = issuer.mint().split(".")
    header = _segment({"alg": "none", "kid": issuer.keys[0].kid, "typ": "at+jwt"})
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        with pytest.raises(InvalidTokenError):
            await validator.verify(token)


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
async def test_hs256_keyed_with_the_public_key_is_refused(
    validator: BearerTokenValidator, issuer: FakeIssuer, encoding: serialization.Encoding
) -> None:
    # Alg confusion: a verifier that fed the RSA public key to HMAC would accept this.
    key = issuer.keys[0]
    public = key.private_key.public_key().public_bytes(
        encoding, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for kid in (key.kid, None):
        header = {"alg": "HS256", "typ": "at+jwt"} | ({"kid": kid} if kid else {})
        with pytest.raises(InvalidTokenError):
            await validator.verify(_resign_hs256(issuer.mint(), public, **header))


async def test_an_algorithm_outside_the_allow_list_is_refused(
    make_validator: ValidatorFactory, issuer: FakeIssuer, signing_keys: dict[str, SigningKey]
) -> None:
    validator = make_validator(algorithms=["ES256"])
    assert (await validator.verify(issuer.mint(signing_keys["ES256"]))).sub == "user-1"
    with pytest.raises(InvalidTokenError):
        await validator.verify(issuer.mint(signing_keys["RS256"]))


async def test_required_and_requested_scopes_are_both_needed(
    make_validator: ValidatorFactory, issuer: FakeIssuer
) -> None:
    validator = make_validator(required_scopes=["openid"])
    token = issuer.mint(scope="openid read:messages")
    assert (await validator.verify(token, scopes=["read:messages"])).sub == "user-1"
    with pytest.raises(InsufficientScopeError) as refused:
        await validator.verify(token, scopes=["write:messages"])
    assert refused.value.scopes == ("openid", "write:messages")
    with pytest.raises(InsufficientScopeError):
        await make_validator(required_scopes=["admin"]).verify(token)


async def test_authenticate_reads_the_authorization_header(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    token = issuer.mint()
    assert (await validator.authenticate(f"Bearer {token}")).sub == "user-1"
    with pytest.raises(MissingTokenError):
        await validator.authenticate(None)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"algorithms": ["HS256"]}, id="hmac"),
        pytest.param({"algorithms": ["none"]}, id="none"),
        pytest.param({"algorithms": []}, id="empty"),
        pytest.param({"required_scopes": ['read"x']}, id="bad-scope"),
        pytest.param({"leeway": -1}, id="negative-leeway"),
        pytest.param({"jwks_uri": "http://as.test/jwks"}, id="http-jwks"),
    ],
)
def test_unsafe_configuration_is_refused(
    make_validator: ValidatorFactory, options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        make_validator(**options)


@pytest.mark.parametrize(
    ("issuer_url", "audience"),
    [
        ("http://as.test", AUDIENCE),
        ("ftp://as.test", AUDIENCE),
        ("https://", AUDIENCE),
        (ISSUER, ""),
    ],
)
def test_issuer_must_be_https_and_audience_named(issuer_url: str, audience: str) -> None:
    with pytest.raises(ValueError):
        BearerTokenValidator(issuer_url, audience)


async def test_http_issuer_is_allowed_on_loopback_or_when_asked() -> None:
    for url, insecure in (("http://localhost:8000", False), ("http://as.internal", True)):
        async with BearerTokenValidator(url, AUDIENCE, allow_insecure_http=insecure) as v:
            assert v.issuer == url
