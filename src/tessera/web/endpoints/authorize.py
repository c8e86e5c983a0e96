"""GET|POST /authorize (RFC 6749 4.1.1): validate the request, then issue a code or ask
the person to sign in or consent.

The returning, consented user is the hot path: a few SELECTs and the grant's INSERT, no
interaction row and no other write.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.authorize import ResponseTarget, parse_authorization_request, resolve_target
from tessera.core.errors import OAuthError
from tessera.core.sessions import load_session
from tessera.web.authorization import hint_verifier, proceed, refuse
from tessera.web.cookies import SESSION, read_cookie
from tessera.web.forms import form_pairs, query_pairs
from tessera.web.runtime import runtime


async def authorize(request: Request) -> Response:
    rt = runtime(request)
    now = rt.now()
    target: ResponseTarget | None = None
    try:
        pairs = query_pairs(request) if request.method == "GET" else await form_pairs(request)
        hints = await hint_verifier(request)
        async with rt.store.transaction() as tx:
            target = await resolve_target(pairs, tx.clients)
            auth = await parse_authorization_request(target, pairs, tx.apis, hints, now=now)
            cookie = read_cookie(request, SESSION, rt.settings)
            session = await load_session(tx.sessions, cookie, now)
            return await proceed(request, tx, auth, session, now=now)
    except OAuthError as err:
        return refuse(request, err, target)
