"""JSON Web Tokens: signing (RFC 7515 compact) and verification with claim checks (RFC 7519).

Signing is a few lines over `cryptography`: the input is ours, nothing is parsed, and
what a general-purpose library adds around the signature costs more than its checks
are worth here, on every token issued. Verification
parses untrusted input, so it goes through joserfc with an algorithm allow-list; and
unlike `joserfc.jwt.decode`, `verify_jwt` checks the claims in the same call, so no
caller can forget that second step.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Collection, Mapping
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet

from tessera.crypto.keys import JWK, Algorithm, SigningKey, decode_b64url
from tessera.crypto.tokens import b64url, constant_time_equals, half_hash

# RFC 9864 deprecates the polymorphic "EdDSA" name in favour of "Ed25519"; clients and
# resource servers in the field still ask for "EdDSA", so tessera keeps offering it.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

Claims = dict[str, Any]
ALLOWED_ALGORITHMS = frozenset(alg.value for alg in Algorithm)


class JWTError(Exception):
    """A token failed verification; the message says why (for logs, not for clients)."""


# RS256's and ES256's parameters, built once for every signature and verification.
PKCS1V15 = padding.PKCS1v15()
SHA256 = hashes.SHA256()
ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def _encode_segment(value: Mapping[str, Any]) -> str:
    # orjson: compact UTF-8 JSON, many times faster than the standard library's json.
    return b64url(orjson.dumps(value))


@functools.lru_cache(maxsize=64)
def _header_segment(alg: str, kid: str, typ: str) -> str:
    """The encoded header: the same for every token a key signs with one `typ`."""
    return _encode_segment({"alg": alg, "kid": kid, "typ": typ})


def _signature(key: SigningKey, signing_input: bytes) -> bytes:
    private_key = key.private_key
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(signing_input, PKCS1V15, SHA256)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private_key.sign(signing_input, ECDSA_SHA256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return private_key.sign(signing_input)


def sign_jwt(claims: Mapping[str, Any], key: SigningKey, *, typ: str = "JWT") -> str:
    """A compact JWS of the claims with `alg`, `typ` and `kid` in the header."""
    header = _header_segment(key.alg.value, key.kid, typ)
    signing_input = f"{header}.{_encode_segment(claims)}"
    signature = _signature(key, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def id_token_hash(value: str, alg: Algorithm) -> str:
    """at_hash for an ID token signed with `alg` (OIDC Core 3.1.3.6): the left half of
    the value's digest under the hash that goes with `alg`, SHA-512 for Ed25519."""
    return half_hash(value, "sha512" if alg is Algorithm.EDDSA else "sha256")


def build_key_set(public_jwks: Collection[JWK]) -> KeySet:
    """A joserfc key set from published JWKs (parsed once, reused per request)."""
    if not public_jwks:
        return KeySet([])
    return KeySet.import_key_set({"keys": [dict(jwk) for jwk in public_jwks]})


def _require_number(claims: Claims, name: str, *, required: bool) -> int | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise JWTError(f"missing {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JWTError(f"{name} is not a number")
    return int(value)


def validate_claims(
    claims: Claims, *, issuer: str, audience: str | None, now: int, leeway: int = 0
) -> None:
    """Check iss, aud, exp, nbf and iat (RFC 7519 4.1).

    Raises:
        JWTError: the first claim that fails.
    """
    if claims.get("iss") != issuer:
        raise JWTError("issuer mismatch")
    if audience is not None:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if audience not in audiences:
            raise JWTError("audience mismatch")
    exp = _require_number(claims, "exp", required=True)
    if exp is not None and exp <= now - leeway:
        raise JWTError("expired")
    nbf = _require_number(claims, "nbf", required=False)
    if nbf is not None and nbf > now + leeway:
        raise JWTError("not yet valid")
    iat = _require_number(claims, "iat", required=False)
    if iat is not None and iat > now + leeway:
        raise JWTError("issued in the future")


def verify_jwt(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    audience: str | None,
    typ: str | None,
    now: int,
    leeway: int = 0,
    algorithms: Collection[str] = ALLOWED_ALGORITHMS,
) -> Claims:
    """Verify signature, header type and claims; return the claims.

    `audience=None` skips the audience check (the caller then checks `aud` itself);
    `typ=None` accepts any type.

    Raises:
        JWTError: bad format, unknown key, bad signature, wrong type or a failing claim.
    """
    try:
        compact = jws.deserialize_compact(token, keys, algorithms=list(algorithms))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise JWTError(f"signature: {type(exc).__name__}") from None
    return verified_claims(
        compact.protected,
        compact.payload,
        issuer=issuer,
        audience=audience,
        typ=typ,
        now=now,
        leeway=leeway,
    )


def verified_claims(
    header: Mapping[str, Any],
    payload: bytes,
    *,
    issuer: str,
    audience: str | None,
    typ: str | None,
    now: int,
    leeway: int = 0,
) -> Claims:
    """The checks after a good signature: header type, a JSON object payload, claims.

    Raises:
        JWTError: wrong type, a payload that is not a JSON object, or a failing claim.
    """
    if typ is not None and str(header.get("typ", "")).lower() != typ.lower():
        raise JWTError("wrong token type")
    try:
        claims = json.loads(payload)
    except ValueError:
        raise JWTError("payload is not JSON") from None
    if not isinstance(claims, dict):
        raise JWTError("payload is not a JSON object")
    validate_claims(claims, issuer=issuer, audience=audience, now=now, leeway=leeway)
    return claims


def verify_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    now: int,
    leeway: int = 60,
) -> Claims:
    """A relying party's ID token checks (OIDC Core 3.1.3.7): signature, `iss`, `aud`,
    `exp`, the `nonce` it sent, and `at_hash` against the access token it came with.

    Tessera's own clients (`tessera login`, the demo trace) use it, so the checks a
    relying party must make are written once.
    """
    claims = verify_jwt(
        token, keys, issuer=issuer, audience=client_id, typ=None, now=now, leeway=leeway
    )
    if not constant_time_equals(str(claims.get("nonce", "")), nonce):
        raise JWTError("the nonce does not match the one sent")
    at_hash = claims.get("at_hash")
    if access_token is not None and at_hash is not None:
        header = json.loads(decode_b64url(token.split(".", 1)[0]))
        expected = id_token_hash(access_token, Algorithm(header["alg"]))
        if not constant_time_equals(str(at_hash), expected):
            raise JWTError("at_hash does not match the access token")
    return claims
