"""The in-process connection speaks to an ASGI app as the socket client speaks to a server."""

from __future__ import annotations

from bench.inprocess import ASGIConnection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    body = await request.body()
    text = f"{request.method} {request.url.query} {request.headers.get('x-test')} {body!r}"
    return PlainTextResponse(text, headers={"X-Seen": "yes"})


async def moved(request: Request) -> Response:
    return RedirectResponse("https://app.test/cb?code=1", status_code=302)


APP = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/moved", moved)])


async def test_query_headers_and_body_reach_the_app_and_the_answer_comes_back() -> None:
    conn = ASGIConnection(APP)
    got = await conn.request("POST", "/echo?a=1", {"X-Test": "t"}, b"k=v")
    assert (got.status, got.body) == (200, b"POST a=1 t b'k=v'")
    assert got.header("x-seen") == "yes"
    again = await conn.request("GET", "/echo")
    assert again.body == b"GET  None b''"


async def test_a_redirect_is_returned_not_followed() -> None:
    got = await ASGIConnection(APP).request("GET", "/moved")
    assert (got.status, got.header("location")) == (302, "https://app.test/cb?code=1")
