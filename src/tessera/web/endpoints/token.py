"""POST /oauth/token (RFC 6749 3.2): an authenticated client runs a grant for tokens.

On PostgreSQL, two transactions: a short one authenticates the client, then admits the
request under the rate limits (core.rate_limits), and the grant runs in its own, so
the counters' rows are not locked while tokens are signed. SQLite has one writer, so
the grant would wait for the first transaction's commit anyway: there both run in one.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.grants import TokenRequest, exchange, parse_grant_type
from tessera.core.rate_limits import admit, authenticate
from tessera.core.tokens import TokenResponse
from tessera.web.forms import client_ip
from tessera.web.oauth import read_client_form, refuse
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def token(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        params, credentials = await read_client_form(request)
        grant_type = parse_grant_type(params)
        keyring = await rt.fresh_keyring()
        address = client_ip(request)
        asked = partial(
            TokenRequest,
            params=params,
            now=now,
            keyring=keyring,
            policy=rt.token_policy,
            client_ip=address,
        )
        async with rt.store.transaction() as tx:  # Commits on OAuthError: counts stay.
            authenticated = await authenticate(credentials, tx.clients)
            client = await admit(
                tx, authenticated, rt.token_rate_limits, client_ip=address, now=now
            )
            if rt.store.serializes_writes:
                return _answer(await exchange(grant_type, asked(client=client, repos=tx)))
        async with rt.store.transaction() as tx:  # Commits on OAuthError: reuse revocations stay.
            return _answer(await exchange(grant_type, asked(client=client, repos=tx)))
    except OAuthError as err:
        return refuse(request, err)


def _answer(tokens: TokenResponse) -> Response:
    return json_response(tokens.body(), headers=NO_STORE)
