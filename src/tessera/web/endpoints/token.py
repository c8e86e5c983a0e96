"""POST /oauth/token (RFC 6749 3.2): an authenticated client runs a grant for tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.client_auth import authenticate_client
from tessera.core.errors import OAuthError
from tessera.core.grants import TokenRequest, exchange, parse_grant_type
from tessera.web.oauth import read_client_form, refuse, token_policy
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def token(request: Request) -> Response:
    rt = runtime(request)
    try:
        params, credentials = await read_client_form(request)
        grant_type = parse_grant_type(params)
        keyring = await rt.fresh_keyring()
        async with rt.store.transaction() as tx:  # Commits on OAuthError: reuse revocations stay.
            client = await authenticate_client(credentials, tx.clients)
            tokens = await exchange(
                grant_type,
                TokenRequest(
                    client=client,
                    params=params,
                    now=rt.now(),
                    repos=tx,
                    keyring=keyring,
                    policy=token_policy(rt.settings),
                ),
            )
    except OAuthError as err:
        return refuse(request, err)
    return json_response(tokens.body(), headers=NO_STORE)
