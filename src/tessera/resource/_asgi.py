"""BearerAuthMiddleware: ASGI middleware that admits only requests with a valid bearer token."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.resource._bearer import parse_authorization
from tessera.resource._errors import BearerTokenError
from tessera.resource._token import parse_scope_names
from tessera.resource._validator import BearerTokenValidator

# RFC 6455 7.4.1: 1008 is "policy violation", the code for a refused WebSocket.
_WS_POLICY_VIOLATION = 1008


class BearerAuthMiddleware:
    """Every HTTP and WebSocket request below it needs a valid token granting `scopes`.

    The verified `AccessToken` goes in scope["auth"]: Starlette handlers read it as
    `request.auth`, and `require_scopes` finds it there. Refusals are answered here with
    the RFC 6750 3 status and challenge and a JSON body; a WebSocket is closed instead.
    Wrap a whole app, or one `Mount(..., middleware=[...])` to leave other routes open.
    """

    def __init__(
        self, app: ASGIApp, validator: BearerTokenValidator, scopes: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.validator = validator
        self.scopes = parse_scope_names(scopes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        values = [
            value.decode("latin-1") for name, value in scope["headers"] if name == b"authorization"
        ]
        try:
            token = parse_authorization(values)
            scope["auth"] = await self.validator.verify(token, scopes=self.scopes)
        except BearerTokenError as error:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": _WS_POLICY_VIOLATION})
                return
            response = JSONResponse(error.body(), error.status_code, error.headers())
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
