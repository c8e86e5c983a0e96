"""Token introspection, RFC 7662, for confidential clients (resource servers).

An access token is active while valid, unrevoked and its grant unrevoked; its claims
come back with `active` (2.2). A refresh token is active only to the client it was
issued to: resource servers never need one, and nobody else should learn it is live.
Anything else is `{"active": false}` and nothing more.
"""

from __future__ import annotations

from typing import Any

from tessera.core.access_tokens import verify_access_token
from tessera.core.errors import InvalidClientError, InvalidTokenError
from tessera.core.models import Client, Timestamp
from tessera.core.ports import Repos
from tessera.core.tokens import format_scope
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.tokens import SecretKind, digest

INACTIVE: dict[str, Any] = {"active": False}


async def introspect(
    token: str, client: Client, keys: JWSVerifier, *, issuer: str, now: Timestamp, repos: Repos
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
        access = await verify_access_token(token, keys, issuer=issuer, now=now, repos=repos)
    except InvalidTokenError:
        return INACTIVE
    return {"active": True, "token_type": "Bearer", **access.claims}


async def _introspect_refresh_token(
    token: str, client: Client, issuer: str, now: Timestamp, repos: Repos
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
