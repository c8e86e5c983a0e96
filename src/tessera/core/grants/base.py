"""What every grant shares: the request it gets, scope narrowing, and issuing tokens.

A grant is an async function from a `TokenRequest` to a `TokenResponse`. It runs in a
transaction that a raised refusal rolls back; a refusal whose writes are part of the
answer (a burnt code, a revoked family, an audited foreign token) is returned as
`Refused` instead, so that they are committed (core.outcomes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from tessera.core.audience import build_audience, check_grant_audience
from tessera.core.audit_events import Event
from tessera.core.errors import InvalidGrantError, InvalidScopeError
from tessera.core.keyring import KeyRing
from tessera.core.models import (
    Client,
    Grant,
    GrantType,
    RefreshToken,
    Timestamp,
    User,
    acr_of,
)
from tessera.core.outcomes import Refused
from tessera.core.ports import ApiRepo, AuditRepo, GrantRepo, RefreshTokenRepo, UserRepo
from tessera.core.scopes import parse_scope
from tessera.core.tokens import (
    ACCESS_TOKEN_TYPE,
    TokenPolicy,
    TokenResponse,
    build_access_token_claims,
    build_id_token_claims,
    build_jti,
)
from tessera.crypto.jwt import id_token_hash, sign_jwt
from tessera.crypto.keys import Algorithm
from tessera.crypto.tokens import SecretKind, digest, new_id, new_secret

DEFAULT_ALGORITHM = Algorithm.RS256


class GrantRepos(Protocol):
    """What the grants touch: grants and their refresh tokens, the users and APIs they
    name, and the audit log."""

    @property
    def grants(self) -> GrantRepo: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepo: ...
    @property
    def users(self) -> UserRepo: ...
    @property
    def apis(self) -> ApiRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRequest:
    """An authenticated client's token request and what answering it needs."""

    client: Client
    params: Mapping[str, str]
    now: Timestamp
    repos: GrantRepos
    keyring: KeyRing
    policy: TokenPolicy
    client_ip: str | None = None


class GrantHandler(Protocol):
    async def __call__(self, request: TokenRequest, /) -> TokenResponse | Refused:
        """Answer the request; raise the OAuthError that says why not, or return it as
        `Refused` when the writes made on the way must be kept."""


def narrow_scope(granted: frozenset[str], requested: str | None) -> frozenset[str]:
    """The scope to issue: the granted one, or a narrower one the client asked for.

    Raises:
        InvalidScopeError: the request is malformed or asks for something not granted.
    """
    if requested is None:
        return granted
    scope = frozenset(parse_scope(requested))
    if not scope <= granted:
        raise InvalidScopeError("The requested scope exceeds the scope granted.")
    return scope


async def revoke_family(
    request: TokenRequest, event: Event, *, grant_id: str, user_id: str | None = None
) -> None:
    """Revoke a grant (its refresh tokens and access tokens) and record which client
    presented the credential that gave it away."""
    await request.repos.grants.revoke(grant_id, request.now)
    await request.repos.audit.record(
        event,
        request.now,
        user_id=user_id,
        client_id=request.client.client_id,
        detail={"grant_id": grant_id},
    )


async def issue_user_tokens(
    request: TokenRequest,
    grant: Grant,
    *,
    scope: frozenset[str],
    refresh_scope: frozenset[str],
    nonce: str | None,
) -> TokenResponse:
    """Sign an access token (and an ID token under openid), and store a refresh token
    when offline_access was granted to a client allowed to refresh.

    The refresh token keeps `refresh_scope`, the scope of the token it replaces (RFC
    6749 6), even when the access token is narrowed to `scope`. Neither outlives the
    grant's absolute end, so that a grant past it no longer matters (store.prune).

    Raises:
        InvalidGrantError: the grant has ended, its user is disabled, or its user or
            API no longer exists.
        InvalidRequestError, InvalidTargetError: the request names another API than
            the grant's (core.audience).
    """
    check_grant_audience(request.params, grant.audience)
    if grant.expires_at <= request.now:
        raise InvalidGrantError(detail=f"grant {grant.id} ended")
    user = await request.repos.users.get(grant.user_id)
    if user is None:
        raise InvalidGrantError(detail="the user of the grant no longer exists")
    if user.is_disabled:
        raise InvalidGrantError(detail="the user of the grant is disabled")
    lifetime, alg = await _api_terms(request, grant.audience)
    lifetime = min(lifetime, grant.expires_at - request.now)
    claims = build_access_token_claims(
        policy=request.policy,
        subject=user.id,
        client_id=grant.client_id,
        audience=build_audience(grant.audience, scope, request.policy.userinfo_url),
        scope=scope,
        now=request.now,
        lifetime=lifetime,
        jti=build_jti(grant.id, new_id(8)),
        auth_time=grant.auth_time,
        acr=acr_of(grant.amr),
    )
    access_token = sign_jwt(claims, request.keyring.current(alg), typ=ACCESS_TOKEN_TYPE)
    id_token = None
    if "openid" in scope:
        id_token = _sign_id_token(request, grant, user, scope, access_token, nonce)
    return TokenResponse(
        access_token=access_token,
        expires_in=lifetime,
        scope=scope,
        id_token=id_token,
        refresh_token=await _store_refresh_token(request, grant, refresh_scope),
        grant_id=grant.id,
        user_id=user.id,
        audience=grant.audience,
    )


async def _api_terms(request: TokenRequest, audience: str | None) -> tuple[int, Algorithm]:
    """Access token lifetime and algorithm: the API's own, or the defaults without one.

    Raises:
        InvalidGrantError: the API was deleted since the grant was made.
    """
    if audience is None:
        return request.policy.access_token_lifetime, DEFAULT_ALGORITHM
    api = await request.repos.apis.get_by_identifier(audience)
    if api is None:
        raise InvalidGrantError(detail="the API of the grant no longer exists")
    return api.access_token_lifetime, api.signing_alg


def _sign_id_token(
    request: TokenRequest,
    grant: Grant,
    user: User,
    scope: frozenset[str],
    access_token: str,
    nonce: str | None,
) -> str:
    alg = request.client.id_token_alg
    claims = build_id_token_claims(
        policy=request.policy,
        grant=grant,
        client=request.client,
        user=user,
        scope=scope,
        now=request.now,
        at_hash=id_token_hash(access_token, alg),
        nonce=nonce,
    )
    return sign_jwt(claims, request.keyring.current(alg))


async def _store_refresh_token(
    request: TokenRequest, grant: Grant, scope: frozenset[str]
) -> str | None:
    """A new refresh token under offline_access, if the client may refresh; it lives for
    the client's sliding lifetime and never past the grant's absolute end."""
    if "offline_access" not in scope or GrantType.REFRESH_TOKEN not in request.client.grant_types:
        return None
    token = new_secret(SecretKind.REFRESH_TOKEN)
    lifetimes = request.policy.refresh.for_client(request.client)
    await request.repos.refresh_tokens.add(
        RefreshToken(
            token_hash=digest(token),
            grant_id=grant.id,
            scope=scope,
            created_at=request.now,
            expires_at=min(request.now + lifetimes.sliding, grant.expires_at),
        )
    )
    return token
