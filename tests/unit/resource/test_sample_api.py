"""The seed's Resource Server (tessera.demo.api) with tokens signed as tessera signs them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tessera.demo.api import MAX_BODY, create_api_app
from tests.conftest import Clock
from tests.unit.resource.conftest import AUDIENCE, ISSUER, FakeIssuer


@pytest.fixture
async def api(issuer: FakeIssuer, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    async with issuer.client() as to_issuer:
        app = create_api_app(issuer=ISSUER, audience=AUDIENCE, http_client=to_issuer, clock=clock)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=AUDIENCE) as client:
                yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_get_api_names_the_caller(api: httpx.AsyncClient, issuer: FakeIssuer) -> None:
    response = await api.get("/api", headers=bearer(issuer.mint()))
    assert response.status_code == 200
    assert response.json() == {
        "message": "Hello user-1: this came from the protected API.",
        "sub": "user-1",
        "client_id": "client-1",
        "scopes": ["openid", "read:messages"],
        "messages": [],
    }


async def test_get_api_without_a_token_is_401_with_a_bare_challenge(api: httpx.AsyncClient) -> None:
    response = await api.get("/api")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")


async def test_get_api_needs_read_messages(api: httpx.AsyncClient, issuer: FakeIssuer) -> None:
    response = await api.get("/api", headers=bearer(issuer.mint(scope="openid")))
    assert response.status_code == 403
    assert response.headers["www-authenticate"].endswith('scope="read:messages"')


async def test_posting_needs_write_messages(api: httpx.AsyncClient, issuer: FakeIssuer) -> None:
    response = await api.post("/api/messages", json={"text": "hi"}, headers=bearer(issuer.mint()))
    assert response.status_code == 403
    assert response.headers["www-authenticate"].endswith('scope="write:messages"')


async def test_a_posted_message_is_listed_with_its_author(
    api: httpx.AsyncClient, issuer: FakeIssuer
) -> None:
    writer = issuer.mint(scope="read:messages write:messages", sub="user-2")
    response = await api.post("/api/messages", json={"text": " hello "}, headers=bearer(writer))
    assert response.status_code == 201
    message = {"text": "hello", "sub": "user-2", "client_id": "client-1"}
    assert response.json() == message
    assert (await api.get("/api", headers=bearer(issuer.mint()))).json()["messages"] == [message]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"text": 5}',
        b'{"text": "   "}',
        b'{"text": "' + b"x" * 281 + b'"}',
        b"x" * (MAX_BODY + 1),
    ],
    ids=["not-json", "list", "number", "blank", "too-long", "oversize-body"],
)
async def test_bad_messages_are_400(
    api: httpx.AsyncClient, issuer: FakeIssuer, body: bytes
) -> None:
    writer = issuer.mint(scope="write:messages")
    response = await api.post("/api/messages", content=body, headers=bearer(writer))
    assert response.status_code == 400 and "text" in response.json()["error"]


async def test_without_a_client_the_app_makes_and_closes_its_own() -> None:
    app = create_api_app(issuer="http://localhost:8000", audience="http://localhost:8001/api")
    async with app.router.lifespan_context(app):
        pass
