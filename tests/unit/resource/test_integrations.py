"""The three ways in: ASGI middleware, the require_scopes dependency (Starlette and
FastAPI), and validator.authenticate for any other code."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Message, Receive, Scope, Send

from tessera.resource import (
    AccessToken,
    BearerAuthMiddleware,
    BearerTokenValidator,
    require_scopes,
)
from tests.unit.resource.conftest import FakeIssuer

INVALID_TOKEN = (
    'Bearer error="invalid_token", error_description="The access token is invalid or expired."'
)


async def whoami(request: Request) -> Response:
    token: AccessToken = request.auth
    return JSONResponse({"sub": token.sub})


write_scope = require_scopes("write:messages")


async def write(request: Request) -> Response:
    token = await write_scope(request)
    return JSONResponse({"sub": token.sub})


async def open_route(request: Request) -> Response:
    return JSONResponse({"open": True})


def starlette_app(validator: BearerTokenValidator) -> Starlette:
    protected = Starlette(routes=[Route("/me", whoami), Route("/write", write, methods=["POST"])])
    return Starlette(
        routes=[
            Route("/health", open_route),
            Mount(
                "/api",
                app=protected,
                middleware=[
                    Middleware(BearerAuthMiddleware, validator=validator, scopes=["openid"])
                ],
            ),
        ]
    )


@pytest.fixture
async def http(validator: BearerTokenValidator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=starlette_app(validator))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as client:
        yield client


async def test_middleware_passes_the_verified_token_to_the_handler(
    http: httpx.AsyncClient, issuer: FakeIssuer
) -> None:
    response = await http.get("/api/me", headers={"Authorization": f"Bearer {issuer.mint()}"})
    assert (response.status_code, response.json()) == (200, {"sub": "user-1"})


async def test_routes_outside_the_mount_stay_open(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "challenge", "error"),
    [
        pytest.param([], 401, "Bearer", None, id="no-header"),
        pytest.param([("Authorization", "Basic dTpw")], 401, "Bearer", None, id="wrong-scheme"),
        pytest.param(
            [("Authorization", "")], 400, "invalid_request", "invalid_request", id="empty"
        ),
        pytest.param(
            [("Authorization", "abc")], 400, "invalid_request", "invalid_request", id="no-scheme"
        ),
        pytest.param(
            [("Authorization", "Bearer a b")],
            400,
            "invalid_request",
            "invalid_request",
            id="two-tokens",
        ),
        pytest.param(
            [("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
            400,
            "invalid_request",
            "invalid_request",
            id="two-headers",
        ),
        pytest.param(
            [("Authorization", "Bearer a.b.c")], 401, INVALID_TOKEN, "invalid_token", id="bad-token"
        ),
    ],
)
async def test_middleware_refusals_follow_rfc6750(
    http: httpx.AsyncClient,
    headers: list[tuple[str, str]],
    status: int,
    challenge: str,
    error: str | None,
) -> None:
    response = await http.get("/api/me", headers=headers)
    assert response.status_code == status
    assert challenge in response.headers["www-authenticate"]
    assert response.json().get("error") == error


async def test_middleware_scopes_are_required_with_403(
    http: httpx.AsyncClient, issuer: FakeIssuer
) -> None:
    token = issuer.mint(scope="read:messages")
    response = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["www-authenticate"].endswith('scope="openid"')
    assert response.json()["error"] == "insufficient_scope"


async def test_route_scope_behind_the_middleware_gives_403_with_the_needed_scope(
    http: httpx.AsyncClient, issuer: FakeIssuer
) -> None:
    headers = {"Authorization": f"Bearer {issuer.mint()}"}
    response = await http.post("/api/write", headers=headers)
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", error_description="The access token does not'
        ' grant the scope this resource requires.", scope="write:messages"'
    )
    headers = {"Authorization": f"Bearer {issuer.mint(scope='openid write:messages')}"}
    assert (await http.post("/api/write", headers=headers)).status_code == 200


async def test_issuer_down_with_no_keys_is_503(http: httpx.AsyncClient, issuer: FakeIssuer) -> None:
    issuer.down = True
    response = await http.get("/api/me", headers={"Authorization": f"Bearer {issuer.mint()}"})
    assert response.status_code == 503 and "www-authenticate" not in response.headers


async def test_websockets_need_a_token_too(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    admitted: list[AccessToken] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        admitted.append(scope["auth"])

    middleware = BearerAuthMiddleware(inner, validator)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def connect(headers: list[tuple[bytes, bytes]]) -> None:
        scope = {"type": "websocket", "path": "/ws", "headers": headers}
        await middleware(scope, receive_nothing, send)

    await connect([(b"authorization", f"Bearer {issuer.mint()}".encode())])
    assert [token.sub for token in admitted] == ["user-1"] and sent == []
    await connect([])
    assert sent == [{"type": "websocket.close", "code": 1008}] and len(admitted) == 1


async def receive_nothing() -> Message:
    raise AssertionError("not reached")


async def test_other_scope_types_pass_through(validator: BearerTokenValidator) -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await BearerAuthMiddleware(inner, validator)(
        {"type": "lifespan"}, receive_nothing, send_nothing
    )
    assert seen == ["lifespan"]


async def send_nothing(message: Message) -> None:
    raise AssertionError("not reached")


async def test_require_scopes_without_middleware_or_validator_is_a_programming_error(
    issuer: FakeIssuer,
) -> None:
    app = Starlette(routes=[Route("/write", write, methods=["POST"])])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as client:
        with pytest.raises(RuntimeError, match="validator"):
            await client.post("/write", headers={"Authorization": f"Bearer {issuer.mint()}"})


def test_require_scopes_refuses_bad_scope_names_at_once() -> None:
    with pytest.raises(ValueError):
        require_scopes("read messages")


@pytest.fixture
async def fastapi_http(validator: BearerTokenValidator) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()

    @app.get("/messages")
    async def messages(
        token: AccessToken = Depends(require_scopes("read:messages", validator=validator)),  # noqa: B008
    ) -> dict[str, object]:
        return {"sub": token.sub, "scopes": list(token.scopes)}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as client:
        yield client


async def test_fastapi_dependency_gives_the_handler_the_verified_claims(
    fastapi_http: httpx.AsyncClient, issuer: FakeIssuer
) -> None:
    response = await fastapi_http.get(
        "/messages", headers={"Authorization": f"Bearer {issuer.mint()}"}
    )
    assert response.json() == {"sub": "user-1", "scopes": ["openid", "read:messages"]}


@pytest.mark.parametrize(
    ("scope", "headers", "status", "challenge"),
    [
        ("read:messages", {}, 401, "Bearer"),
        ("openid", {"Authorization": "Bearer"}, 400, "invalid_request"),
        ("openid", {"Authorization": "Bearer a.b.c"}, 401, INVALID_TOKEN),
        ("openid", None, 403, 'scope="read:messages"'),
    ],
    ids=["missing", "malformed", "invalid", "insufficient-scope"],
)
async def test_fastapi_dependency_refusals_carry_the_challenge(
    fastapi_http: httpx.AsyncClient,
    issuer: FakeIssuer,
    scope: str,
    headers: dict[str, str] | None,
    status: int,
    challenge: str,
) -> None:
    if headers is None:
        headers = {"Authorization": f"Bearer {issuer.mint(scope=scope)}"}
    response = await fastapi_http.get("/messages", headers=headers)
    assert response.status_code == status
    assert challenge in response.headers["www-authenticate"]
    assert "detail" in response.json()
