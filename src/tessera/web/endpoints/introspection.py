"""POST /oauth/introspect (RFC 7662): a confidential client asks whether a token is live
(core.introspection)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.introspection import answer_introspection_request
from tessera.web.oauth import read_client_request, refuse
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def introspect(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        asked = await read_client_request(request)
        answer = await answer_introspection_request(
            rt.store,
            asked,
            keys=(await rt.fresh_keyring()).verifier,
            issuer=rt.policy.tokens.issuer,
            limits=rt.policy.client_limits,
            now=now,
        )
    except OAuthError as err:
        return refuse(request, err)
    return json_response(answer, headers=NO_STORE)
