"""User passwords with argon2id (OWASP's current recommendation).

Only people's passwords go through argon2: it is slow and memory-hungry by design. Client
secrets and tokens are high-entropy and use a SHA-256 digest instead (crypto.tokens).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
# Any password manager's passwords fit; a longer one would only buy an attacker hashing
# work (argon2 reads the whole input), so it is refused before any.
MAX_PASSWORD_LENGTH = 1024


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so an unknown account costs the
    same time as a wrong password and response times do not enumerate users."""
    return _HASHER.hash("tessera-no-such-user")


class PasswordMismatchError(Exception):
    """The password does not match (or there is no such account)."""


def hash_password(password: str) -> str:
    """An argon2id PHC string for storage."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> None:
    """Check a password against its stored hash in constant work.

    Pass `None` for an unknown account: a dummy hash is checked so timing is equal. A
    password over MAX_PASSWORD_LENGTH matches nothing and is refused unhashed, whether
    or not the account exists.

    Raises:
        PasswordMismatchError: wrong password, unknown account, unreadable hash or a
            password too long to have been set.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordMismatchError
    try:
        _HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise PasswordMismatchError from None
    if password_hash is None:
        raise PasswordMismatchError


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(password_hash)
