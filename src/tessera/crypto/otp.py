"""One-time passwords: TOTP secrets and codes (RFC 6238 over RFC 4226), recovery codes.

TOTP is SHA-1, 6 digits, 30-second steps: what every authenticator app reads from an
`otpauth://` URI. Secrets are sealed at rest with AES-256-GCM under their own HKDF label
of TESSERA_SECRET_KEY, bound to the factor's id so a sealed secret cannot be moved to
another row. Recovery codes are random and stored only as SHA-256 digests.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets

import pyotp
from cryptography.exceptions import InvalidTag

from tessera.crypto.keys import KeyDecryptionError, sealing_key
from tessera.crypto.tokens import constant_time_equals

TOTP_LABEL = b"tessera totp secrets v1"
STEP_SECONDS = 30
DIGITS = 6
# RFC 4226 4 (R6): the shared secret MUST be at least 128 bits; 160 are recommended.
MIN_SECRET_BITS = 128
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # No 0/o, 1/l/i to misread.
RECOVERY_CODE_LENGTH = 10  # 31^10: about 50 bits, behind the sign-in throttle.


class TOTPSecretError(ValueError):
    """A TOTP secret that is not base32 or is shorter than 128 bits; the message says which."""


def new_totp_secret() -> str:
    """A fresh 160-bit secret in base32 (32 characters, no padding)."""
    return pyotp.random_base32()


def parse_totp_secret(value: str) -> str:
    """An imported secret in canonical form: upper-case base32 without spaces or padding.

    Raises:
        TOTPSecretError: not base32, or under 128 bits.
    """
    secret = "".join(value.split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        raise TOTPSecretError("the secret is not base32 (letters A-Z and digits 2-7)") from None
    if len(raw) * 8 < MIN_SECRET_BITS:
        raise TOTPSecretError(f"the secret has {len(raw) * 8} bits; at least 128 are needed")
    return secret


def seal_totp_secret(secret: str, factor_id: str, secret_key: str) -> bytes:
    """The secret encrypted: 12-byte nonce || ciphertext+tag, the factor id as AAD."""
    nonce = os.urandom(12)
    aead = sealing_key(secret_key, TOTP_LABEL)
    return nonce + aead.encrypt(nonce, secret.encode("ascii"), factor_id.encode("utf-8"))


def open_totp_secret(sealed: bytes, factor_id: str, secret_key: str) -> str:
    """The secret of a sealed factor.

    Raises:
        KeyDecryptionError: another TESSERA_SECRET_KEY, a damaged blob, or another row's.
    """
    aead = sealing_key(secret_key, TOTP_LABEL)
    try:
        plain = aead.decrypt(sealed[:12], sealed[12:], factor_id.encode("utf-8"))
    except InvalidTag:
        raise KeyDecryptionError(
            f"cannot decrypt TOTP factor {factor_id}: is TESSERA_SECRET_KEY the one it was "
            "made with?"
        ) from None
    return plain.decode("ascii")


def current_step(now: int) -> int:
    """The RFC 6238 time step T of a Unix time."""
    return now // STEP_SECONDS


def matching_step(secret: str, code: str, now: int) -> int | None:
    """The time step whose code `code` is, among the current one and one either side
    (RFC 6238 5.2: one step of clock drift); None if it is none of them, or not six
    digits. Every candidate is compared in constant time."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    found = None
    for step in range(current_step(now) - 1, current_step(now) + 2):
        if constant_time_equals(totp.generate_otp(step), code):
            found = step
    return found


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app reads (from a QR code or pasted)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def new_recovery_code() -> str:
    """A fresh recovery code, `xxxxx-xxxxx`, shown once and stored as its digest."""
    chars = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{chars[:5]}-{chars[5:]}"


def normalise_recovery_code(code: str) -> str:
    """A typed recovery code as it was issued: lower-case, spaces dropped, dash restored."""
    chars = "".join(c for c in code.lower() if c.isalnum())
    return f"{chars[:5]}-{chars[5:]}"
