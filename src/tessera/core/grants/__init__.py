"""Grants by `grant_type` (RFC 6749 4.1.3, 4.4.2, 6): one module each, one dict.

The dict is also what discovery advertises, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from tessera.core.errors import UnauthorizedClientError, UnsupportedGrantTypeError
from tessera.core.grants import authorization_code, client_credentials, refresh_token
from tessera.core.grants.base import GrantHandler, TokenRequest
from tessera.core.models import GrantType
from tessera.core.params import require
from tessera.core.tokens import TokenResponse

__all__ = ["GRANTS", "TokenRequest", "exchange", "parse_grant_type"]

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


async def exchange(grant_type: GrantType, request: TokenRequest) -> TokenResponse:
    """Run the grant for an authenticated client.

    Raises:
        UnauthorizedClientError: the client is not registered for this grant type.
        OAuthError: whatever the grant itself refuses.
    """
    if grant_type not in request.client.grant_types:
        raise UnauthorizedClientError(detail=f"client may not use {grant_type}")
    return await GRANTS[grant_type](request)
