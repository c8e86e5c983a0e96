"""POST /oauth/revoke (RFC 7009): a client revokes one of its tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.client_auth import authenticate_client
from tessera.core.errors import OAuthError
from tessera.core.params import require
from tessera.core.revocation import revoke_token
from tessera.web.oauth import read_client_form, refuse
from tessera.web.responses import NO_STORE
from tessera.web.runtime import runtime


async def revoke(request: Request) -> Response:
    """200 with an empty body whether or not the token was live (RFC 7009 2.2)."""
    rt = runtime(request)
    try:
        params, credentials = await read_client_form(request)
        token = require(params, "token")
        keyring = await rt.fresh_keyring()
        async with rt.store.transaction() as tx:
            client = await authenticate_client(credentials, tx.clients)
            await revoke_token(
                token,
                client,
                keyring.verifier,
                issuer=rt.settings.issuer,
                now=rt.now(),
                repos=tx,
            )
    except OAuthError as err:
        return refuse(request, err)
    return Response(status_code=200, headers=NO_STORE)
