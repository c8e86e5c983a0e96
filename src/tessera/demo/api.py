"""The seed's Resource Server: a small messages API protected by tessera.resource (steps 12-13).

`GET /api` answers who is calling (sub, client_id, scopes) with a greeting and the
messages so far; `POST /api/messages` needs `write:messages`. Messages live in memory:
the point is the bearer-token check, not storage.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.resource import AccessToken, BearerAuthMiddleware, BearerTokenValidator, require_scopes

READ_SCOPE = "read:messages"
WRITE_SCOPE = "write:messages"
MAX_MESSAGES = 50
MAX_BODY = 4096
MAX_TEXT = 280


def _caller(token: AccessToken) -> dict[str, object]:
    return {"sub": token.sub, "client_id": token.client_id, "scopes": list(token.scopes)}


async def _read_text(request: Request) -> str | None:
    """The `text` of a small JSON body, or None if the body is not one."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    try:
        text = json.loads(body).get("text")
    except (ValueError, AttributeError):
        return None
    return text if isinstance(text, str) and 0 < len(text.strip()) <= MAX_TEXT else None


def create_api_app(
    *,
    issuer: str,
    audience: str,
    http_client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The sample API for tokens from `issuer` meant for `audience` (its identifier).

    `http_client` reaches the issuer and `clock` dates tokens (tests pass their own);
    without a client the validator makes one and the app's lifespan closes it.
    """
    validator = BearerTokenValidator(issuer, audience, http_client=http_client, clock=clock)
    messages: deque[dict[str, str]] = deque(maxlen=MAX_MESSAGES)
    can_read = require_scopes(READ_SCOPE)
    can_write = require_scopes(WRITE_SCOPE)

    async def api(request: Request) -> Response:
        token = await can_read(request)
        return JSONResponse(
            {
                "message": f"Hello {token.sub}: this came from the protected API.",
                **_caller(token),
                "messages": list(messages),
            }
        )

    async def post_message(request: Request) -> Response:
        token = await can_write(request)
        text = await _read_text(request)
        if text is None:
            return JSONResponse(
                {"error": f'send {{"text": "..."}}, 1 to {MAX_TEXT} characters'}, 400
            )
        message = {"text": text.strip(), "sub": token.sub, "client_id": token.client_id}
        messages.append(message)
        return JSONResponse(message, 201)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await validator.aclose()

    return Starlette(
        routes=[
            Route("/api", api, methods=["GET"]),
            Route("/api/messages", post_message, methods=["POST"]),
        ],
        middleware=[Middleware(BearerAuthMiddleware, validator=validator)],
        lifespan=lifespan,
    )
