"""POST /oauth/introspect (RFC 7662): a confidential client asks whether a token is live."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.client_auth import authenticate_client
from tessera.core.errors import OAuthError
from tessera.core.introspection import introspect as introspect_token
from tessera.core.params import require
from tessera.web.oauth import read_client_form, refuse
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def introspect(request: Request) -> Response:
    rt = runtime(request)
    try:
        params, credentials = await read_client_form(request)
        token = require(params, "token")
        keyring = await rt.fresh_keyring()
        async with rt.store.read_transaction() as tx:
            client = await authenticate_client(credentials, tx.clients)
            answer = await introspect_token(
                token,
                client,
                keyring.verifier,
                issuer=rt.settings.issuer,
                now=rt.now(),
                repos=tx,
            )
    except OAuthError as err:
        return refuse(request, err)
    return json_response(answer, headers=NO_STORE)
