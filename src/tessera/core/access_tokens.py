"""tessera's own access tokens where tessera consumes them: userinfo, introspection and
revocation (resource servers use `tessera.resource`).

RFC 6750 2.1/2.2 (the token in the Authorization header or, for POST, the form body;
one method per request) and RFC 9068 4 (signature by a published key, `typ` at+jwt,
`iss`, `exp`). On top of the JWT checks, a token is dead when its jti is on the
revocation list or its grant was revoked: the jti names the grant (core.tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tessera.core.errors import (
    InvalidRequestError,
    InvalidScopeError,
    InvalidTokenError,
    MissingTokenError,
)
from tessera.core.models import Timestamp
from tessera.core.ports import AccessTokenRevocationRepo, GrantRepo
from tessera.core.scopes import parse_scope
from tessera.core.tokens import ACCESS_TOKEN_TYPE, grant_id_of
from tessera.crypto.bearer import MalformedCredentialsError, bearer_credentials
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.jwt import JWTError

MAX_TOKEN_LENGTH = 8192
MALFORMED_HEADER = "The Authorization header is not one Bearer token."


class RevocationListRepos(Protocol):
    """What telling a live token from a revoked one reads."""

    @property
    def revocations(self) -> AccessTokenRevocationRepo: ...
    @property
    def grants(self) -> GrantRepo: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessToken:
    """A verified access token: the claims tessera relies on, and all of them."""

    jti: str
    subject: str
    client_id: str
    scope: frozenset[str]
    expires_at: Timestamp
    claims: dict[str, Any] = field(repr=False)


def parse_bearer_token(authorization: Sequence[str], form_token: str | None) -> str:
    """The access token of a request: from its Authorization header values (the
    grammar of crypto.bearer, which resource servers share) or its form body.

    Raises:
        MissingTokenError: no Bearer credentials at all.
        InvalidRequestError: a malformed header, a token sent twice, or one too long.
    """
    try:
        header_token = bearer_credentials(authorization)
    except MalformedCredentialsError as exc:
        raise InvalidRequestError(MALFORMED_HEADER, detail=str(exc)) from None
    if header_token is not None and form_token is not None:
        raise InvalidRequestError("Send the access token once: in the header or the body.")
    token = header_token or form_token
    if token is None:
        raise MissingTokenError(detail="no access token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidRequestError("The Bearer access token is too long.")
    return token


def decode_access_token(
    token: str, keys: JWSVerifier, *, issuer: str, now: Timestamp
) -> AccessToken:
    """Check the JWT alone: signature, type, issuer, expiry and the claims we rely on.

    Raises:
        InvalidTokenError: any of them fails.
    """
    try:
        claims = keys.verify_jwt(
            token, issuer=issuer, audience=None, typ=ACCESS_TOKEN_TYPE, now=now
        )
    except JWTError as exc:
        raise InvalidTokenError(detail=f"access token: {exc}") from None
    jti, sub, client_id, scope = (claims.get(n) for n in ("jti", "sub", "client_id", "scope"))
    if not all(isinstance(value, str) for value in (jti, sub, client_id, scope)):
        raise InvalidTokenError(detail="access token lacks jti, sub, client_id or scope")
    try:
        names = parse_scope(str(scope))
    except InvalidScopeError:
        raise InvalidTokenError(detail="access token scope is malformed") from None
    return AccessToken(
        jti=str(jti),
        subject=str(sub),
        client_id=str(client_id),
        scope=frozenset(names),
        expires_at=int(claims["exp"]),
        claims=claims,
    )


async def verify_access_token(
    token: str, keys: JWSVerifier, *, issuer: str, now: Timestamp, repos: RevocationListRepos
) -> AccessToken:
    """A live access token: valid as a JWT, not revoked, and its grant not revoked.

    Raises:
        InvalidTokenError: the token is invalid, expired or revoked.
    """
    access = decode_access_token(token, keys, issuer=issuer, now=now)
    await verify_not_revoked(access, repos)
    return access


async def verify_not_revoked(access: AccessToken, repos: RevocationListRepos) -> None:
    """Check a decoded token against the revocation list and its grant.

    Raises:
        InvalidTokenError: the token or its grant was revoked.
    """
    if await repos.revocations.is_revoked(access.jti):
        raise InvalidTokenError(detail=f"access token {access.jti} revoked")
    grant_id = grant_id_of(access.jti)
    if grant_id is not None:
        grant = await repos.grants.get(grant_id)
        if grant is None or grant.revoked_at is not None:
            raise InvalidTokenError(detail=f"grant {grant_id} revoked")
