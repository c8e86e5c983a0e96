"""POST /oauth/revoke (RFC 7009): a client revokes one of its tokens (core.revocation);
a browser app of the client's origins may read the answer (web.cors)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.revocation import answer_revocation_request
from tessera.web import cors
from tessera.web.oauth import named_client, read_client_request, refuse
from tessera.web.responses import NO_STORE
from tessera.web.runtime import runtime


async def revoke(request: Request) -> Response:
    """200 with an empty body whether or not the token was live (RFC 7009 2.2)."""
    rt = runtime(request)
    now = rt.now()
    asked = None
    try:
        asked = await read_client_request(request)
        await answer_revocation_request(
            rt.store,
            asked,
            keys=(await rt.fresh_keyring()).verifier,
            issuer=rt.policy.tokens.issuer,
            limits=rt.policy.client_limits,
            now=now,
        )
        response = Response(status_code=200, headers=NO_STORE)
    except OAuthError as err:
        response = refuse(request, err)
    return await cors.for_client(request, response, named_client(asked))
