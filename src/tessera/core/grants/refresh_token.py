"""The refresh token grant: RFC 6749 6, rotated on every use (RFC 9700 4.14.2).

A token is bound to its client (RFC 6749 10.4): one presented by another client is
refused before anything happens to it, so that whoever holds a stolen token cannot end
its owner's grant by naming a public client; it is an audit event. Presenting a token
that was already rotated means two parties hold it: the whole family (the grant) is
revoked and an audit event recorded. A client may register a grace window (0-60 s): a
retry with the token it just rotated, whose answer was lost, then gets a fresh pair,
and the lost successor is retired instead of the family.
"""

from __future__ import annotations

from tessera.core.errors import InvalidGrantError
from tessera.core.grants.base import TokenRequest, issue_user_tokens, narrow_scope, revoke_family
from tessera.core.models import Grant, RefreshToken, Timestamp
from tessera.core.params import require
from tessera.core.ports import (
    ForeignRefreshTokenError,
    RefreshReusedError,
    UnknownRefreshTokenError,
)
from tessera.core.tokens import TokenResponse
from tessera.crypto.tokens import digest

REFRESH_REUSED_EVENT = "refresh_token.reused"
REFRESH_FOREIGN_EVENT = "refresh_token.foreign"


def is_within_grace(rotated_at: Timestamp, now: Timestamp, grace_seconds: int) -> bool:
    """True if a rotated token may still be used once more: rotated at most
    `grace_seconds` ago. A window of 0 means never."""
    return grace_seconds > 0 and now - rotated_at <= grace_seconds


async def exchange(request: TokenRequest) -> TokenResponse:
    """Rotate a refresh token into a new pair.

    Raises:
        InvalidRequestError: refresh_token is missing.
        InvalidGrantError: unknown, expired or reused token (reuse outside the grace
            window revokes the family), another client's token, a revoked or ended grant.
        InvalidScopeError: a scope wider than the one granted.
    """
    token_hash = digest(require(request.params, "refresh_token"))
    requested = request.params.get("scope")
    if requested is not None:
        await _check_scope(request, token_hash, requested)
    token, reused = await _rotate(request, token_hash)
    if reused and not is_within_grace(
        token.rotated_at or 0, request.now, request.client.refresh_grace_seconds
    ):
        await revoke_family(request, REFRESH_REUSED_EVENT, grant_id=token.grant_id)
        raise InvalidGrantError(detail=f"refresh token of grant {token.grant_id} reused")
    grant = await _live_grant(request, token.grant_id)
    if reused:
        await request.repos.refresh_tokens.revoke_unrotated(grant.id, request.now)
    scope = narrow_scope(token.scope, requested)
    return await issue_user_tokens(
        request, grant, scope=scope, refresh_scope=token.scope, nonce=None
    )


async def _check_scope(request: TokenRequest, token_hash: bytes, requested: str) -> None:
    """Refuse a wider scope before rotating, so that the refusal does not cost the
    client its refresh token (the transaction keeps writes made before an OAuthError).
    Another client's token is left to `_rotate`, which refuses it without saying more."""
    stored = await request.repos.refresh_tokens.get(token_hash)
    if stored is None:
        return
    grant = await request.repos.grants.get(stored.grant_id)
    if grant is not None and grant.client_id == request.client.client_id:
        narrow_scope(stored.scope, requested)


async def _rotate(request: TokenRequest, token_hash: bytes) -> tuple[RefreshToken, bool]:
    """The presented token, rotated now, and whether it had been rotated before.

    Raises:
        InvalidGrantError: unknown or expired, or another client's (recorded; the token
            and its family are left as they were).
    """
    client_id = request.client.client_id
    try:
        return await request.repos.refresh_tokens.rotate(token_hash, client_id, request.now), False
    except UnknownRefreshTokenError:
        raise InvalidGrantError(detail="unknown or expired refresh token") from None
    except ForeignRefreshTokenError as foreign:
        grant_id = foreign.token.grant_id
        await request.repos.audit.record(
            REFRESH_FOREIGN_EVENT,
            request.now,
            client_id=client_id,
            ip=request.client_ip,
            detail={"grant_id": grant_id, "owner": foreign.owner},
        )
        raise InvalidGrantError(
            detail=f"refresh token of grant {grant_id} of another client"
        ) from None
    except RefreshReusedError as reused:
        return reused.token, True


async def _live_grant(request: TokenRequest, grant_id: str) -> Grant:
    """The token's grant (this client's: `_rotate` matched no other), if neither revoked
    nor ended."""
    grant = await request.repos.grants.get(grant_id)
    if grant is None or grant.revoked_at is not None or grant.expires_at <= request.now:
        raise InvalidGrantError(detail=f"grant {grant_id} revoked or ended")
    return grant
