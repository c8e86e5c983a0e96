"""Token revocation, RFC 7009.

A refresh token (recognised by its prefix) revokes its whole grant: the refresh family
and every access token minted from it (RFC 7009 2.1 lets the server do so). An access
token goes on the revocation list, consulted by userinfo and introspection, until it
would have expired anyway. Unknown, invalid or expired tokens are not an error (RFC 7009
2.2); a token of another client is refused (2.1).
"""

from __future__ import annotations

from tessera.core.access_tokens import decode_access_token
from tessera.core.errors import InvalidTokenError, UnauthorizedClientError
from tessera.core.models import Client, Timestamp
from tessera.core.ports import Repos
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.tokens import SecretKind, digest

GRANT_REVOKED_EVENT = "grant.revoked"


FOREIGN_TOKEN = "The token was not issued to this client."


async def revoke_token(
    token: str, client: Client, keys: JWSVerifier, *, issuer: str, now: Timestamp, repos: Repos
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


async def _revoke_refresh_token(token: str, client: Client, now: Timestamp, repos: Repos) -> None:
    stored = await repos.refresh_tokens.get(digest(token))
    grant = None if stored is None else await repos.grants.get(stored.grant_id)
    if grant is None or grant.revoked_at is not None:
        return
    if grant.client_id != client.client_id:
        raise UnauthorizedClientError(FOREIGN_TOKEN, detail=f"refresh token of {grant.client_id}")
    await repos.grants.revoke(grant.id, now)
    await repos.audit.record(
        GRANT_REVOKED_EVENT,
        now,
        user_id=grant.user_id,
        client_id=client.client_id,
        detail={"grant_id": grant.id},
    )
