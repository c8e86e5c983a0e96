"""The client credentials grant (RFC 6749 4.4): a machine client's token for one API.

The API is named by `audience` (as in the seed) or by RFC 8707 `resource`. No person
is involved, so there is no ID token and no refresh token (RFC 6749 4.4.3), and `sub`
is the client itself (RFC 9068 2.2). Machine access is deny-by-default: a client gets
tokens only for the APIs it was granted (`Client.apis`, `clients create --api`), with
the scopes it is allowed.
"""

from __future__ import annotations

from tessera.core.audience import require_audience, resolve_api
from tessera.core.errors import InvalidScopeError, InvalidTargetError
from tessera.core.grants.base import TokenRequest
from tessera.core.models import Api, Client
from tessera.core.scopes import parse_scope
from tessera.core.tokens import ACCESS_TOKEN_TYPE, TokenResponse, build_access_token_claims
from tessera.crypto.jwt import sign_jwt
from tessera.crypto.tokens import new_id


async def exchange(request: TokenRequest) -> TokenResponse:
    """An access token for the API asked for, with the scopes asked for (default: every
    scope of the API the client may use).

    Raises:
        InvalidRequestError: no audience/resource, or two that differ.
        InvalidTargetError: the client was not granted that API, or it no longer exists.
        InvalidScopeError: a scope the API does not define or the client may not use.
    """
    audience = require_audience(request.params)
    if audience not in request.client.apis:
        raise InvalidTargetError(
            "The client has no access to this API.", detail="API not granted to the client"
        )
    api = resolve_api(audience, await request.repos.apis.get_by_identifier(audience))
    scope = _client_scope(request.client, api, request.params.get("scope"))
    claims = build_access_token_claims(
        policy=request.policy,
        subject=request.client.client_id,
        client_id=request.client.client_id,
        audience=api.identifier,
        scope=scope,
        now=request.now,
        lifetime=api.access_token_lifetime,
        jti=new_id(16),
        auth_time=None,
    )
    key = request.keyring.current(api.signing_alg)
    access_token = sign_jwt(claims, key, typ=ACCESS_TOKEN_TYPE)
    return TokenResponse(
        access_token=access_token,
        expires_in=api.access_token_lifetime,
        scope=scope,
        audience=api.identifier,
    )


def _client_scope(client: Client, api: Api, requested: str | None) -> frozenset[str]:
    allowed = api.scope_names()
    if client.allowed_scopes is not None:
        allowed &= client.allowed_scopes
    if requested is None:
        return allowed
    scope = frozenset(parse_scope(requested))
    if not scope <= allowed:
        raise InvalidScopeError(detail="scope not defined by the API or not allowed")
    return scope
