"""Grants by `grant_type` (RFC 6749 4.1.3, 4.4.2, 6): one module each, one dict.

The dict is also what discovery advertises, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from tessera.core.audit_events import Event
from tessera.core.errors import UnauthorizedClientError, UnsupportedGrantTypeError
from tessera.core.grants import authorization_code, client_credentials, refresh_token
from tessera.core.grants.base import GrantHandler, TokenRequest
from tessera.core.models import GrantType
from tessera.core.outcomes import Refused
from tessera.core.params import require
from tessera.core.scopes import format_scope
from tessera.core.tokens import TokenResponse

__all__ = ["GRANTS", "TokenRequest", "exchange", "parse_grant_type"]

# Recorded for every token answer; a client_credentials token has no user and no grant.

GRANTS: dict[GrantType, GrantHandler] = {
    GrantType.AUTHORIZATION_CODE: authorization_code.exchange,
    GrantType.REFRESH_TOKEN: refresh_token.exchange,
    GrantType.CLIENT_CREDENTIALS: client_credentials.exchange,
}


def parse_grant_type(params: Mapping[str, str]) -> GrantType:
    """The grant type asked for.

    Raises:
        InvalidRequestError: grant_type is missing.
        UnsupportedGrantTypeError: tessera has no such grant.
    """
    value = require(params, "grant_type")
    if value not in GRANTS:
        raise UnsupportedGrantTypeError(detail="unknown grant_type")
    return GrantType(value)


async def exchange(grant_type: GrantType, request: TokenRequest) -> TokenResponse | Refused:
    """Run the grant for an authenticated client, and record what it issued in the
    same transaction: a token answer is never sent without its audit event. A refusal
    whose writes must be kept is returned (see the grant).

    Raises:
        UnauthorizedClientError: the client is not registered for this grant type.
        OAuthError: whatever the grant itself refuses.
    """
    if grant_type not in request.client.grant_types:
        raise UnauthorizedClientError(detail=f"client may not use {grant_type}")
    tokens = await GRANTS[grant_type](request)
    if isinstance(tokens, Refused):
        return tokens
    await request.repos.audit.record(
        Event.TOKEN_ISSUED,
        request.now,
        user_id=tokens.user_id,
        client_id=request.client.client_id,
        ip=request.client_ip,
        detail=_issued(grant_type, tokens),
    )
    return tokens


def _issued(grant_type: GrantType, tokens: TokenResponse) -> dict[str, str]:
    """The audit detail of a token answer: which tokens, for what; never a token."""
    kinds = ["access_token"]
    kinds += ["id_token"] if tokens.id_token is not None else []
    kinds += ["refresh_token"] if tokens.refresh_token is not None else []
    detail = {"grant_type": grant_type.value, "scope": format_scope(tokens.scope)}
    detail["tokens"] = " ".join(kinds)
    if tokens.grant_id is not None:
        detail["grant_id"] = tokens.grant_id
    if tokens.audience is not None:
        detail["audience"] = tokens.audience
    return detail
