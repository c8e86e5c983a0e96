"""POST /oauth/revoke (RFC 7009): a client revokes one of its tokens.

As at the token endpoint, a short transaction authenticates the client and admits the
request under the rate limits (core.rate_limits), and the revocation runs in its own,
so that it does not hold the counter's row on PostgreSQL.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.params import require
from tessera.core.rate_limits import admit, authenticate
from tessera.core.revocation import revoke_token
from tessera.web.forms import client_ip
from tessera.web.oauth import read_client_form, refuse
from tessera.web.responses import NO_STORE
from tessera.web.runtime import runtime


async def revoke(request: Request) -> Response:
    """200 with an empty body whether or not the token was live (RFC 7009 2.2)."""
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
        async with rt.store.transaction() as tx:
            await revoke_token(
                token,
                client,
                keyring.verifier,
                issuer=rt.settings.issuer,
                now=now,
                repos=tx,
            )
    except OAuthError as err:
        return refuse(request, err)
    return Response(status_code=200, headers=NO_STORE)
