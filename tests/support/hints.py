"""ID tokens to send back as an id_token_hint, signed with a key of the tests' own, and
the verifier that trusts that key."""

from __future__ import annotations

from tessera.core.id_token_hint import HintVerifier
from tessera.crypto.jwt import build_key_set, sign_jwt
from tessera.crypto.keys import Algorithm, SigningKey, build_signing_key, generate_private_key
from tests.conftest import ISSUER

NOW = 1_800_000_000
SESSION_LIFETIME = 604_800


def new_key() -> SigningKey:
    return build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)


KEY = new_key()
HINTS = HintVerifier(keys=build_key_set([KEY.public_jwk]), issuer=ISSUER, max_age=SESSION_LIFETIME)


def id_token(key: SigningKey = KEY, *, typ: str = "JWT", **changes: object) -> str:
    """An ID token for alice from the app, issued a minute before NOW; a claim changed
    to None is left out."""
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "app",
        "sid": "sid-1",
        "iat": NOW - 60,
        "exp": NOW + 3600,
        **changes,
    }
    present = {name: value for name, value in claims.items() if value is not None}
    return sign_jwt(present, key, typ=typ)
