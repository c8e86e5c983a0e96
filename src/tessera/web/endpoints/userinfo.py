"""GET|POST /userinfo (OIDC Core 5.3) with a Bearer access token (RFC 6750 2.1, 2.2);
a browser app of the token's client's origins may read the answer (web.cors)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.access_tokens import parse_bearer_token
from tessera.core.errors import OAuthError
from tessera.core.params import parse_params
from tessera.core.userinfo import USERINFO_SCOPE, answer_userinfo_request
from tessera.web import cors
from tessera.web.forms import form_pairs
from tessera.web.oauth import refuse
from tessera.web.responses import NO_STORE, json_response
from tessera.web.runtime import runtime


async def _body_params(request: Request) -> Mapping[str, str]:
    """A POST may carry the token in a form body; a bodiless POST or a GET has none."""
    if request.method != "POST" or "content-type" not in request.headers:
        return {}
    return parse_params(await form_pairs(request))


async def userinfo(request: Request) -> Response:
    rt = runtime(request)
    client_id = None
    try:
        params = await _body_params(request)
        token = parse_bearer_token(
            request.headers.getlist("authorization"), params.get("access_token")
        )
        answer = await answer_userinfo_request(
            rt.store,
            token,
            keys=(await rt.fresh_keyring()).verifier,
            issuer=rt.policy.tokens.issuer,
            now=rt.now(),
        )
        client_id = answer.client_id
        response = json_response(answer.claims, headers=NO_STORE)
    except OAuthError as err:
        response = refuse(request, err, bearer_scope=USERINFO_SCOPE)
    return await cors.for_client(request, response, client_id)
