"""Token introspection, RFC 7662, for confidential clients (resource servers).

An access token is active while valid, unrevoked and its grant unrevoked; its claims
come back with `active` (2.2). It is active only to the client it was issued to and
to the resource servers registered for one of its audiences (`clients create
--resource-server`): RFC 7662 4, "the authorization server MUST determine whether or
not the token can be used at the protected resource making the introspection call."
A refresh token is active only to the client it was issued to: resource servers never
need one, and nobody else should learn it is live. Anything else is
`{"active": false}` and nothing more. The request is counted under the client rate
limits first, in a step of its own (core.rate_limits); the answer is read in a
read-only one.
"""

from __future__ import annotations

from typing import Any, Protocol

from tessera.core.access_tokens import (
    AccessToken,
    RevocationListRepos,
    decode_access_token,
    verify_not_revoked,
)
from tessera.core.client_auth import ClientRequest
from tessera.core.errors import InvalidClientError, InvalidTokenError
from tessera.core.models import Client, Timestamp
from tessera.core.params import require
from tessera.core.ports import RefreshTokenRepo, Transactions
from tessera.core.rate_limits import AdmissionRepos, RateLimits, authenticate_and_count
from tessera.core.scopes import format_scope
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.tokens import SecretKind, digest

INACTIVE: dict[str, Any] = {"active": False}


class IntrospectionRepos(RevocationListRepos, Protocol):
    """What introspecting reads: the revocation list, grants and refresh tokens."""

    @property
    def refresh_tokens(self) -> RefreshTokenRepo: ...


class IntrospectionEndpointRepos(AdmissionRepos, IntrospectionRepos, Protocol):
    """What an introspection request touches: the client and the counters, then reads."""


async def answer_introspection_request(
    store: Transactions[IntrospectionEndpointRepos],
    request: ClientRequest,
    *,
    keys: JWSVerifier,
    issuer: str,
    limits: RateLimits,
    now: Timestamp,
) -> dict[str, Any]:
    """Authenticate the client, count the request, then answer for the token it names.

    Raises:
        InvalidRequestError: no token parameter (nothing is counted).
        SlowDownError, InvalidClientError: see `authenticate_and_count`.
        InvalidClientError: the client is public.
    """
    token = require(request.params, "token")
    async with store.steps() as steps:
        client = await authenticate_and_count(steps, request, limits, now)
        async with steps.step(read_only=True) as tx:
            return await introspect(token, client, keys, issuer=issuer, now=now, repos=tx)


async def introspect(
    token: str,
    client: Client,
    keys: JWSVerifier,
    *,
    issuer: str,
    now: Timestamp,
    repos: IntrospectionRepos,
) -> dict[str, Any]:
    """The RFC 7662 2.2 answer for a token.

    Raises:
        InvalidClientError: the client is public (introspection needs a secret).
    """
    if client.is_public:
        raise InvalidClientError(detail="public clients cannot introspect")
    if token.startswith(SecretKind.REFRESH_TOKEN.value):
        return await _introspect_refresh_token(token, client, issuer, now, repos)
    try:
        access = decode_access_token(token, keys, issuer=issuer, now=now)
        if not may_introspect(client, access):
            return INACTIVE
        await verify_not_revoked(access, repos)
    except InvalidTokenError:
        return INACTIVE
    return {"active": True, "token_type": "Bearer", **access.claims}


def may_introspect(client: Client, access: AccessToken) -> bool:
    """True for the token's own client and for a resource server of its audience."""
    if access.client_id == client.client_id:
        return True
    audience = access.claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    return isinstance(audiences, list) and any(
        isinstance(each, str) and each in client.resource_server_for for each in audiences
    )


async def _introspect_refresh_token(
    token: str, client: Client, issuer: str, now: Timestamp, repos: IntrospectionRepos
) -> dict[str, Any]:
    stored = await repos.refresh_tokens.get(digest(token))
    if stored is None or stored.rotated_at is not None or stored.expires_at <= now:
        return INACTIVE
    grant = await repos.grants.get(stored.grant_id)
    if grant is None or grant.revoked_at is not None or grant.client_id != client.client_id:
        return INACTIVE
    return {
        "active": True,
        "token_type": "refresh_token",
        "iss": issuer,
        "sub": grant.user_id,
        "client_id": grant.client_id,
        "scope": format_scope(stored.scope),
        "iat": stored.created_at,
        "exp": stored.expires_at,
    }
