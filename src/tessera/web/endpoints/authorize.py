"""GET|POST /authorize (RFC 6749 4.1.1): validate the request, then issue a code or ask
the person to sign in or consent (core.authorization.advance)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorization.advance import answer_authorization_request
from tessera.core.errors import OAuthError
from tessera.web.authorization import refuse, respond
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.forms import client_ip, form_pairs, query_pairs
from tessera.web.logs import note_client
from tessera.web.runtime import runtime


async def authorize(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    try:
        pairs = query_pairs(request) if request.method == "GET" else await form_pairs(request)
        note_client(next((value for name, value in pairs if name == "client_id"), None))
        answer = await answer_authorization_request(
            rt.store,
            pairs,
            session_cookie=read_cookie(request, SESSION, rt.settings),
            hints=await rt.hint_verifier(),
            policy=rt.policy.authorization,
            client_ip=client_ip(request),
            now=now,
        )
    except OAuthError as err:
        return refuse(request, err)
    return respond(request, answer)
