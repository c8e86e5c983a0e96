"""POST /oauth/introspect (RFC 7662): a confidential client asks whether a token is live.

A short transaction authenticates the client and admits the request under the rate
limits (core.rate_limits); the answer is read in a read-only one, which never waits for
SQLite's writer nor holds a counter's row on PostgreSQL.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.introspection import introspect as introspect_token
from tessera.core.params import require
from tessera.core.rate_limits import admit, authenticate
from tessera.web.forms import client_ip
from tessera.web.oauth import read_client_form, refuse
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def introspect(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        params, credentials = await read_client_form(request)
        token = require(params, "token")
        keyring = await rt.fresh_keyring()
        async with rt.store.transaction() as tx:  # Commits on OAuthError: counts stay.
            authenticated = await authenticate(credentials, tx.clients)
            client = await admit(
                tx, authenticated, rt.token_rate_limits, client_ip=client_ip(request), now=now
            )
        async with rt.store.read_transaction() as tx:
            answer = await introspect_token(
                token,
                client,
                keyring.verifier,
                issuer=rt.settings.issuer,
                now=now,
                repos=tx,
            )
    except OAuthError as err:
        return refuse(request, err)
    return json_response(answer, headers=NO_STORE)
