"""Token revocation, RFC 7009.

A refresh token (recognised by its prefix) revokes its whole grant: the refresh family
and every access token minted from it (RFC 7009 2.1 lets the server do so). An access
token goes on the revocation list, consulted by userinfo and introspection, until it
would have expired anyway. Unknown, invalid or expired tokens are not an error (RFC 7009
2.2); a token of another client is refused (2.1). The request is counted under the
client rate limits first, in a step of its own (core.rate_limits).
"""

from __future__ import annotations

from typing import Protocol

from tessera.core.access_tokens import decode_access_token
from tessera.core.audit_events import Event
from tessera.core.client_auth import ClientRequest
from tessera.core.errors import InvalidTokenError, UnauthorizedClientError
from tessera.core.models import Client, Timestamp
from tessera.core.params import require
from tessera.core.ports import (
    AccessTokenRevocationRepo,
    AuditRepo,
    GrantRepo,
    RefreshTokenRepo,
    Transactions,
)
from tessera.core.rate_limits import AdmissionRepos, RateLimits, authenticate_and_count
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.tokens import SecretKind, digest

FOREIGN_TOKEN = "The token was not issued to this client."


class RevocationRepos(Protocol):
    """What revoking touches: a refresh token's grant, or the access token list."""

    @property
    def refresh_tokens(self) -> RefreshTokenRepo: ...
    @property
    def grants(self) -> GrantRepo: ...
    @property
    def revocations(self) -> AccessTokenRevocationRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


class RevocationEndpointRepos(AdmissionRepos, RevocationRepos, Protocol):
    """What a revocation request touches: the client and the counters, then the token's."""


async def answer_revocation_request(
    store: Transactions[RevocationEndpointRepos],
    request: ClientRequest,
    *,
    keys: JWSVerifier,
    issuer: str,
    limits: RateLimits,
    now: Timestamp,
) -> None:
    """Authenticate the client, count the request, then revoke the token it names.

    Raises:
        InvalidRequestError: no token parameter (nothing is counted).
        SlowDownError, InvalidClientError: see `authenticate_and_count`.
        UnauthorizedClientError: the token belongs to another client.
    """
    token = require(request.params, "token")
    async with store.steps() as steps:
        client = await authenticate_and_count(steps, request, limits, now)
        async with steps.step() as tx:
            await revoke_token(token, client, keys, issuer=issuer, now=now, repos=tx)


async def revoke_token(
    token: str,
    client: Client,
    keys: JWSVerifier,
    *,
    issuer: str,
    now: Timestamp,
    repos: RevocationRepos,
) -> None:
    """Revoke the token if it is live and the client's.

    Raises:
        UnauthorizedClientError: the token belongs to another client.
    """
    if token.startswith(SecretKind.REFRESH_TOKEN.value):
        await _revoke_refresh_token(token, client, now, repos)
        return
    try:
        access = decode_access_token(token, keys, issuer=issuer, now=now)
    except InvalidTokenError:
        return
    if access.client_id != client.client_id:
        raise UnauthorizedClientError(FOREIGN_TOKEN, detail=f"access token of {access.client_id}")
    await repos.revocations.revoke(access.jti, access.expires_at)


async def _revoke_refresh_token(
    token: str, client: Client, now: Timestamp, repos: RevocationRepos
) -> None:
    stored = await repos.refresh_tokens.get(digest(token))
    grant = None if stored is None else await repos.grants.get(stored.grant_id)
    if grant is None or grant.revoked_at is not None:
        return
    if grant.client_id != client.client_id:
        raise UnauthorizedClientError(FOREIGN_TOKEN, detail=f"refresh token of {grant.client_id}")
    await repos.grants.revoke(grant.id, now)
    await repos.audit.record(
        Event.GRANT_REVOKED,
        now,
        user_id=grant.user_id,
        client_id=client.client_id,
        detail={"grant_id": grant.id},
    )
