"""POST /oauth/revoke (RFC 7009): a client revokes one of its tokens (core.revocation)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.revocation import answer_revocation_request
from tessera.web.oauth import read_client_request, refuse
from tessera.web.responses import NO_STORE
from tessera.web.runtime import runtime


async def revoke(request: Request) -> Response:
    """200 with an empty body whether or not the token was live (RFC 7009 2.2)."""
    rt = runtime(request)
    now = rt.now()
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
    except OAuthError as err:
        return refuse(request, err)
    return Response(status_code=200, headers=NO_STORE)
