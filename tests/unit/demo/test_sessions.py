"""The demo client's server-side sessions: the browser holds only a random id."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.demo.sessions import COOKIE, ServerSideSessionMiddleware


async def _put(request: Request) -> Response:
    request.session["tokens"] = {"access_token": "secret-access-token"}
    if request.query_params.get("sign_in"):
        request.scope["rotate_session"] = True
    return JSONResponse({})


async def _get(request: Request) -> Response:
    return JSONResponse(dict(request.session))


async def _clear(request: Request) -> Response:
    request.session.clear()
    return JSONResponse({})


def _client(max_sessions: int = 10) -> httpx.AsyncClient:
    app = Starlette(
        routes=[Route("/put", _put), Route("/get", _get), Route("/clear", _clear)],
        middleware=[Middleware(ServerSideSessionMiddleware, max_sessions=max_sessions)],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo.test")


async def test_the_cookie_is_a_random_id_and_the_data_stays_on_the_server() -> None:
    async with _client() as http:
        response = await http.get("/put")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "secret-access-token" not in cookie
        assert (await http.get("/get")).json() == {
            "tokens": {"access_token": "secret-access-token"}
        }


async def test_an_empty_session_sets_no_cookie_and_an_unknown_id_gets_nothing() -> None:
    async with _client() as http:
        assert "set-cookie" not in (await http.get("/get")).headers
        http.cookies.set(COOKIE, "planted-by-someone")
        assert (await http.get("/get")).json() == {}


async def test_signing_in_replaces_the_session_id() -> None:
    async with _client() as http:
        await http.get("/put")
        before = http.cookies[COOKIE]
        await http.get("/put", params={"sign_in": "1"})
        after = http.cookies[COOKIE]
        assert after != before
        http.cookies.set(COOKIE, before)
        assert (await http.get("/get")).json() == {}  # The old id no longer opens it.


async def test_clearing_the_session_expires_the_cookie() -> None:
    async with _client() as http:
        await http.get("/put")
        response = await http.get("/clear")
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert (await http.get("/get")).json() == {}


async def test_the_oldest_session_is_dropped_past_the_bound() -> None:
    async with _client(max_sessions=2) as http:
        await http.get("/put")
        oldest = http.cookies[COOKIE]
        for _ in range(2):
            http.cookies.clear()
            await http.get("/put")
        http.cookies.clear()
        http.cookies.set(COOKIE, oldest)
        assert (await http.get("/get")).json() == {}
