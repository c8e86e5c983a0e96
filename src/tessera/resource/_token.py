"""The verified access token a handler receives (RFC 9068 2.2), and scope names (RFC 6749 3.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tessera.resource._errors import InvalidTokenError

# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def parse_scope_names(scopes: Iterable[str]) -> tuple[str, ...]:
    """Scope names a developer configured, checked once so they can be quoted in a header.

    Raises:
        ValueError: a name that is not an RFC 6749 3.3 scope-token.
    """
    names = tuple(scopes)
    for name in names:
        if not _SCOPE_TOKEN.fullmatch(name):
            raise ValueError(f"not a scope name (RFC 6749 3.3): {name!r}")
    return names


@dataclass(frozen=True, slots=True)
class AccessToken:
    """What a verified JWT access token says: who (`sub`), through which client, with
    which scopes; every claim is in `claims`. The token string itself is not kept, so
    it cannot reach a log through this object."""

    sub: str
    client_id: str
    scopes: tuple[str, ...]
    claims: Mapping[str, Any] = field(repr=False)

    @property
    def expires_at(self) -> int:
        return int(self.claims["exp"])

    def has_scopes(self, scopes: Iterable[str]) -> bool:
        """Whether every one of `scopes` was granted."""
        return set(scopes).issubset(self.scopes)


_NUMBER = (int, float)


def build_access_token(claims: dict[str, Any]) -> AccessToken:
    """The AccessToken for claims whose iss, aud, exp, nbf and iat were already checked.

    RFC 9068 2.2 makes sub, client_id, iat and jti required; scope is a space-separated
    string when present (RFC 8693 4.2). This runs per request: exact type tests (JSON
    gives exact types) and one frozen object of four fields keep it cheap.

    Raises:
        InvalidTokenError: a required claim is missing or of the wrong type.
    """
    sub, client_id = claims.get("sub"), claims.get("client_id")
    if type(sub) is not str or type(client_id) is not str or not sub or not client_id:
        raise InvalidTokenError("sub or client_id missing or not a string")
    if type(claims.get("jti")) is not str or type(claims.get("iat")) not in _NUMBER:
        raise InvalidTokenError("jti or iat missing or of the wrong type")
    scope = claims.get("scope", "")
    if type(scope) is not str:
        raise InvalidTokenError("scope is not a string")
    return AccessToken(sub, client_id, tuple(scope.split()), MappingProxyType(claims))
