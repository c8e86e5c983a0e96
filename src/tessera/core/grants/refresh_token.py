"""The refresh token grant: RFC 6749 6, rotated on every use (RFC 9700 4.14.2).

A token is bound to its client (RFC 6749 10.4): one presented by another client is
refused before anything happens to it, so that whoever holds a stolen token cannot end
its owner's grant by naming a public client; it is an audit event. Presenting a token
that was already rotated means two parties hold it: the whole family (the grant) is
revoked and an audit event recorded. A client may register a grace window (0-60 s): a
retry with the token it just rotated, whose answer was lost, then gets a fresh pair,
and the lost successor is retired instead of the family.

The rotation comes first, in one atomic statement. Any other refusal after it (a wider
scope, a revoked or ended grant) is raised and rolls the rotation back, so the token
still works; the two refusals whose writes must stay, reuse and another client's
token, are returned as `Refused` (core.outcomes).
"""

from __future__ import annotations

from tessera.core.audit_events import Event
from tessera.core.errors import InvalidGrantError
from tessera.core.grants.base import TokenRequest, issue_user_tokens, narrow_scope, revoke_family
from tessera.core.models import Grant, RefreshToken, Timestamp
from tessera.core.outcomes import Refused
from tessera.core.params import require
from tessera.core.ports import (
    ForeignRefreshTokenError,
    RefreshReusedError,
    UnknownRefreshTokenError,
)
from tessera.core.tokens import TokenResponse
from tessera.crypto.tokens import digest


def is_within_grace(rotated_at: Timestamp, now: Timestamp, grace_seconds: int) -> bool:
    """True if a rotated token may still be used once more: rotated at most
    `grace_seconds` ago. A window of 0 means never."""
    return grace_seconds > 0 and now - rotated_at <= grace_seconds


async def exchange(request: TokenRequest) -> TokenResponse | Refused:
    """Rotate a refresh token into a new pair.

    Raises (the token left as it was):
        InvalidRequestError: refresh_token is missing.
        InvalidGrantError: unknown or expired token, a revoked or ended grant.
        InvalidScopeError: a scope wider than the one granted.

    Refused (the writes kept):
        InvalidGrantError: a reused token outside the grace window (its family is
            revoked), or another client's token (audited).
    """
    token_hash = digest(require(request.params, "refresh_token"))
    rotated = await _rotate(request, token_hash)
    if isinstance(rotated, Refused):
        return rotated
    token, reused = rotated
    if reused and not is_within_grace(
        token.rotated_at or 0, request.now, request.client.refresh_grace_seconds
    ):
        await revoke_family(request, Event.REFRESH_TOKEN_REUSED, grant_id=token.grant_id)
        return Refused(InvalidGrantError(detail=f"refresh token of grant {token.grant_id} reused"))
    grant = await _live_grant(request, token.grant_id)
    scope = narrow_scope(token.scope, request.params.get("scope"))
    if reused:
        await request.repos.refresh_tokens.revoke_unrotated(grant.id, request.now)
    return await issue_user_tokens(
        request, grant, scope=scope, refresh_scope=token.scope, nonce=None
    )


async def _rotate(request: TokenRequest, token_hash: bytes) -> tuple[RefreshToken, bool] | Refused:
    """The presented token, rotated now, and whether it had been rotated before; another
    client's token is refused, recorded, and left as it was with its family.

    Raises:
        InvalidGrantError: unknown or expired (nothing is written).
    """
    client_id = request.client.client_id
    try:
        return await request.repos.refresh_tokens.rotate(token_hash, client_id, request.now), False
    except UnknownRefreshTokenError:
        raise InvalidGrantError(detail="unknown or expired refresh token") from None
    except ForeignRefreshTokenError as foreign:
        grant_id = foreign.token.grant_id
        await request.repos.audit.record(
            Event.REFRESH_TOKEN_FOREIGN,
            request.now,
            client_id=client_id,
            ip=request.client_ip,
            detail={"grant_id": grant_id, "owner": foreign.owner},
        )
        return Refused(
            InvalidGrantError(detail=f"refresh token of grant {grant_id} of another client")
        )
    except RefreshReusedError as reused:
        return reused.token, True


async def _live_grant(request: TokenRequest, grant_id: str) -> Grant:
    """The token's grant (this client's: `_rotate` matched no other), if neither revoked
    nor ended."""
    grant = await request.repos.grants.get(grant_id)
    if grant is None or grant.revoked_at is not None or grant.expires_at <= request.now:
        raise InvalidGrantError(detail=f"grant {grant_id} revoked or ended")
    return grant
