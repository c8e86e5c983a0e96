"""CORS headers (Fetch standard, the CORS protocol) on the endpoints a browser app calls.

Two kinds, and nothing anywhere else (not /authorize, the pages, introspection or the
admin surfaces, which a browser reaches by navigation or not at all):

- public documents (discovery, JWKS): `Access-Control-Allow-Origin: *`, readable from
  any page, as they are by anyone;
- the token, revocation and userinfo endpoints: the request's `Origin` is named only if
  core says the client the request is for allows it (core.web_origins), with `Vary:
  Origin`. A preflight is answered for origins some client allows. A refused origin
  gets the normal answer without CORS headers, which the browser then hides from the
  page; a refused preflight is the same empty 204 whichever the reason.

Never `Access-Control-Allow-Credentials`: these endpoints take no cookies, and a page
of an allowed origin must not ride on a person's session. The allow-list depends on
the client, which is why Starlette's CORSMiddleware (one list for the app) does not fit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from tessera.core.web_origins import answer_origin_check
from tessera.web.runtime import runtime

PUBLIC = {"Access-Control-Allow-Origin": "*"}
# The headers a browser app sends beyond the safelisted ones: a Bearer token or Basic
# credentials, and a JSON or form body.
ALLOWED_HEADERS = "Authorization, Content-Type"
# What a browser app may read of an answer besides the safelisted headers: the Bearer
# challenge and when to retry after a 429.
EXPOSED_HEADERS = "WWW-Authenticate, Retry-After"
MAX_AGE = "600"


async def for_client(request: Request, response: Response, client_id: str | None) -> Response:
    """`response` with the CORS headers its request may have: the origin named if the
    client `client_id` allows it (None: if some client does, see
    core.web_origins.answer_origin_check). Requests without `Origin` cost nothing."""
    _vary_on_origin(response)
    origin = request.headers.get("origin")
    if origin is not None and await answer_origin_check(
        runtime(request).store, origin, client_id=client_id
    ):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def preflight(methods: str) -> Callable[[Request], Awaitable[Response]]:
    """The OPTIONS endpoint of a client endpoint accepting `methods` (e.g. "POST")."""

    async def answer(request: Request) -> Response:
        response = Response(status_code=204, headers={"Allow": f"{methods}, OPTIONS"})
        _vary_on_origin(response)
        origin = request.headers.get("origin")
        asked = request.headers.get("access-control-request-method")
        if origin is None or asked is None:
            return response
        if await answer_origin_check(runtime(request).store, origin, client_id=None):
            response.headers.update(
                {
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": methods,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": MAX_AGE,
                }
            )
        return response

    return answer


async def public_preflight(request: Request) -> Response:
    """OPTIONS on a public document: any origin may GET it."""
    return Response(
        status_code=204,
        headers={**PUBLIC, "Allow": "GET, OPTIONS", "Access-Control-Allow-Methods": "GET"},
    )


def _vary_on_origin(response: Response) -> None:
    """The answer depends on `Origin`: a cache must not give one origin's to another."""
    vary = response.headers.get("Vary")
    response.headers["Vary"] = "Origin" if not vary else f"{vary}, Origin"
