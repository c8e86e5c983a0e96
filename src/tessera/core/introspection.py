"""Token introspection, RFC 7662, for confidential clients (resource servers).

An access token is active while valid, unrevoked and its grant unrevoked; its claims
come back with `active` (2.2). It is active only to the client it was issued to and
to the resource servers registered for one of its audiences (`clients create
--resource-server`): RFC 7662 4, "the authorization server MUST determine whether or
not the token can be used at the protected resource making the introspection call."
A refresh token is active only to the client it was issued to: resource servers never
need one, and nobody else should learn it is live. Anything else is
`{"active": false}` and nothing more.
"""

from __future__ import annotations

from typing import Any

from tessera.core.access_tokens import AccessToken, decode_access_token, verify_not_revoked
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
