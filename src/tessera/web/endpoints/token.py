"""POST /oauth/token (RFC 6749 3.2): an authenticated client runs a grant for tokens
(core.token_endpoint); a browser app of the client's origins may read the answer
(web.cors)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.errors import OAuthError
from tessera.core.token_endpoint import answer_token_request
from tessera.web import cors
from tessera.web.oauth import named_client, read_client_request, refuse
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def token(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    asked = None
    try:
        asked = await read_client_request(request)
        tokens = await answer_token_request(
            rt.store,
            asked,
            keyring=await rt.fresh_keyring(),
            tokens=rt.policy.tokens,
            limits=rt.policy.client_limits,
            now=now,
        )
        response = json_response(tokens.body(), headers=NO_STORE)
    except OAuthError as err:
        response = refuse(request, err)
    return await cors.for_client(request, response, named_client(asked))
