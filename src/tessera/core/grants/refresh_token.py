"""The refresh token grant: RFC 6749 6, rotated on every use (RFC 9700 4.14.2).

Presenting a token that was already rotated means two parties hold it: the whole
family (the grant) is revoked and an audit event recorded. A client may register a
grace window (0-60 s): a retry with the token it just rotated, whose answer was lost,
then gets a fresh pair, and the lost successor is retired instead of the family.
"""

from __future__ import annotations

from tessera.core.errors import InvalidGrantError
from tessera.core.grants.base import TokenRequest, issue_user_tokens, narrow_scope, revoke_family
from tessera.core.models import Grant, RefreshToken, Timestamp
from tessera.core.params import require
from tessera.core.ports import RefreshReusedError, UnknownRefreshTokenError
from tessera.core.tokens import TokenResponse
from tessera.crypto.tokens import digest

REFRESH_REUSED_EVENT = "refresh_token.reused"


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
    client its refresh token (the transaction keeps writes made before an OAuthError)."""
    stored = await request.repos.refresh_tokens.get(token_hash)
    if stored is not None:
        narrow_scope(stored.scope, requested)


async def _rotate(request: TokenRequest, token_hash: bytes) -> tuple[RefreshToken, bool]:
    """The presented token, rotated now, and whether it had been rotated before."""
    try:
        return await request.repos.refresh_tokens.rotate(token_hash, request.now), False
    except UnknownRefreshTokenError:
        raise InvalidGrantError(detail="unknown or expired refresh token") from None
    except RefreshReusedError as reused:
        return reused.token, True


async def _live_grant(request: TokenRequest, grant_id: str) -> Grant:
    """The token's grant, if it is this client's and neither revoked nor ended."""
    grant = await request.repos.grants.get(grant_id)
    if grant is None or grant.client_id != request.client.client_id:
        raise InvalidGrantError(detail="refresh token of another client")
    if grant.revoked_at is not None or grant.expires_at <= request.now:
        raise InvalidGrantError(detail=f"grant {grant.id} revoked or ended")
    return grant
