"""POST /oauth/token (RFC 6749 3.2): an authenticated client runs a grant for tokens.

Two transactions: a short one authenticates the client and counts the request against
the rate limits (core.rate_limits), then the grant runs in its own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.grants import TokenRequest, exchange, parse_grant_type
from tessera.core.rate_limits import admit_client
from tessera.web.forms import client_ip
from tessera.web.oauth import read_client_form, refuse, token_policy, token_rate_limits
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def token(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        params, credentials = await read_client_form(request)
        grant_type = parse_grant_type(params)
        async with rt.store.transaction() as tx:  # Commits on OAuthError: counts stay.
            client = await admit_client(
                tx,
                credentials,
                token_rate_limits(rt.settings),
                client_ip=client_ip(request),
                now=now,
            )
        keyring = await rt.fresh_keyring()
        async with rt.store.transaction() as tx:  # Commits on OAuthError: reuse revocations stay.
            tokens = await exchange(
                grant_type,
                TokenRequest(
                    client=client,
                    params=params,
                    now=now,
                    repos=tx,
                    keyring=keyring,
                    policy=token_policy(rt.settings),
                ),
            )
    except OAuthError as err:
        return refuse(request, err)
    return json_response(tokens.body(), headers=NO_STORE)
