"""Random secrets with type prefixes, their digests, and constant-time comparison.

Codes, refresh tokens, client secrets and session ids are 256-bit random values. Only
their SHA-256 digest is stored, so a database leak gives nothing usable; a prefix
(`tsr_ac_`, `tsr_rt_`, `tsr_cs_`) lets people and secret scanners recognise a leaked one.
RFC 7636 4.2 (S256) is here because it is the same digest arithmetic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import StrEnum
from typing import Literal


class SecretKind(StrEnum):
    """The prefix of each kind of secret tessera hands out."""

    AUTHORIZATION_CODE = "tsr_ac_"
    REFRESH_TOKEN = "tsr_rt_"
    CLIENT_SECRET = "tsr_cs_"
    SESSION = "tsr_ss_"
    INTERACTION = "tsr_ix_"


def new_secret(kind: SecretKind) -> str:
    """A fresh 256-bit random secret with its type prefix."""
    return kind.value + secrets.token_urlsafe(32)


def new_id(nbytes: int = 16) -> str:
    """A random identifier that is not a secret (client ids, key ids, subjects)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> bytes:
    """SHA-256 of a secret: what the database stores and looks up by."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def constant_time_equals(left: str | bytes, right: str | bytes) -> bool:
    """Compare two values without leaking where they differ."""
    if isinstance(left, str):
        left = left.encode("utf-8", "surrogatepass")
    if isinstance(right, str):
        right = right.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(left, right)


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(code_verifier))), RFC 7636 4.2."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def half_hash(value: str, hash_name: Literal["sha256", "sha512"] = "sha256") -> str:
    """Left half of a digest, base64url: OIDC Core 3.1.3.6 at_hash.

    SHA-256 for RS256 and ES256; SHA-512 for EdDSA over Ed25519, as the OpenID Connect
    Token Hash Algorithms guide settles it (crypto.jwt.id_token_hash picks by alg).
    """
    full = hashlib.new(hash_name, value.encode("ascii")).digest()
    return b64url(full[: len(full) // 2])
