"""Signing keys: generation, public JWKs (RFC 7517/7518/8037), RFC 7638 key ids, sealing at rest.

Private keys are stored sealed with AES-256-GCM under a key derived (HKDF-SHA256) from
TESSERA_SECRET_KEY; the key id is bound in as associated data so a sealed blob cannot be
moved to another key's row.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tessera.crypto.tokens import b64url

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
JWK = dict[str, str]


class Algorithm(StrEnum):
    """JWS algorithms tessera signs with (RFC 7518 3.1, RFC 8037 3.1)."""

    RS256 = "RS256"
    ES256 = "ES256"
    EDDSA = "EdDSA"


class KeyDecryptionError(Exception):
    """A sealed private key cannot be opened: wrong TESSERA_SECRET_KEY or a damaged row."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key in memory, parsed once, with its published public JWK."""

    kid: str
    alg: Algorithm
    private_key: PrivateKey = field(repr=False)
    public_jwk: JWK


def generate_private_key(alg: Algorithm) -> PrivateKey:
    """A new private key: RSA 2048 for RS256, P-256 for ES256, Ed25519 for EdDSA."""
    if alg is Algorithm.RS256:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg is Algorithm.ES256:
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def _int_b64(value: int, length: int | None = None) -> str:
    size = length or max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(size, "big"))


def _key_members(private_key: PrivateKey) -> JWK:
    """The RFC 7638 required members of the public key."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        numbers = private_key.public_key().public_numbers()
        return {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        point = private_key.public_key().public_numbers()
        return {
            "crv": "P-256",
            "kty": "EC",
            "x": _int_b64(point.x, 32),
            "y": _int_b64(point.y, 32),
        }
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}


def thumbprint(members: JWK) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of the required members."""
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def build_signing_key(private_key: PrivateKey, alg: Algorithm) -> SigningKey:
    """Wrap a private key with its kid (its RFC 7638 thumbprint) and public JWK."""
    members = _key_members(private_key)
    kid = thumbprint(members)
    return SigningKey(
        kid=kid,
        alg=alg,
        private_key=private_key,
        public_jwk={**members, "kid": kid, "use": "sig", "alg": alg.value},
    )


SIGNING_KEYS_LABEL = b"tessera signing keys v1"


def sealing_key(secret_key: str, label: bytes) -> AESGCM:
    """The AES-256-GCM key HKDF derives from TESSERA_SECRET_KEY for one purpose: each
    kind of sealed secret has its own `label` (HKDF info), so no blob of one kind opens
    as another."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        secret_key.encode("utf-8")
    )
    return AESGCM(key)


def _aead(secret_key: str) -> AESGCM:
    return sealing_key(secret_key, SIGNING_KEYS_LABEL)


def seal_private_key(key: SigningKey, secret_key: str) -> bytes:
    """PKCS#8 of the private key, encrypted: 12-byte nonce || ciphertext+tag."""
    pem = key.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(12)
    return nonce + _aead(secret_key).encrypt(nonce, pem, key.kid.encode("ascii"))


def open_private_key(sealed: bytes, kid: str, alg: Algorithm, secret_key: str) -> SigningKey:
    """Decrypt and parse a sealed key.

    Raises:
        KeyDecryptionError: wrong secret key, damaged blob, or a kid that does not match.
    """
    try:
        der = _aead(secret_key).decrypt(sealed[:12], sealed[12:], kid.encode("ascii"))
    except InvalidTag:
        raise KeyDecryptionError(
            f"cannot decrypt signing key {kid}: is TESSERA_SECRET_KEY the one it was made with?"
        ) from None
    private_key = serialization.load_der_private_key(der, password=None)
    if not isinstance(
        private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise KeyDecryptionError(f"signing key {kid} has an unsupported type")
    key = build_signing_key(private_key, alg)
    if key.kid != kid:
        raise KeyDecryptionError(f"signing key {kid} does not match its stored id")
    return key


def jwks_document(public_jwks: list[JWK]) -> str:
    """The JSON body of /.well-known/jwks.json."""
    return json.dumps({"keys": public_jwks}, separators=(",", ":"))


def decode_b64url(value: str) -> bytes:
    """Inverse of b64url, tolerant of missing padding."""
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
