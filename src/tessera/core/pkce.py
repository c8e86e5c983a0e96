"""PKCE, RFC 7636: S256 only (OAuth 2.1; `plain` is refused by policy).

The challenge is checked at /authorize; the verifier at the token endpoint, compared in
constant time.
"""

from __future__ import annotations

import re

from tessera.core.errors import InvalidGrantError, InvalidRequestError
from tessera.crypto.tokens import constant_time_equals, s256

# RFC 7636 4.1: code-verifier = 43*128unreserved; 4.2: S256 gives 43 base64url characters.
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def validate_code_challenge(challenge: str | None, method: str | None) -> str:
    """Return the challenge if the authorization request's PKCE is acceptable.

    Raises:
        InvalidRequestError: missing challenge, a method other than S256 (including
            `plain` and a missing method), or a challenge that is not 43 base64url chars.
    """
    if challenge is None:
        raise InvalidRequestError("PKCE is required: send code_challenge with S256.")
    if method != "S256":
        raise InvalidRequestError("code_challenge_method must be S256.")
    if not CHALLENGE.fullmatch(challenge):
        raise InvalidRequestError("code_challenge must be 43 base64url characters.")
    return challenge


def verify_code_verifier(verifier: str | None, challenge: str) -> None:
    """Check BASE64URL(SHA256(code_verifier)) == code_challenge (RFC 7636 4.6).

    Raises:
        InvalidRequestError: the verifier is missing.
        InvalidGrantError: the verifier is malformed or does not match.
    """
    if verifier is None:
        raise InvalidRequestError("The code_verifier parameter is required.")
    if not VERIFIER.fullmatch(verifier):
        raise InvalidGrantError(detail="code_verifier is not 43-128 unreserved characters")
    if not constant_time_equals(s256(verifier), challenge):
        raise InvalidGrantError(detail="code_verifier does not match code_challenge")
