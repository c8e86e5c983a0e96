"""Security rule: every answer of the token family carries Cache-Control: no-store."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import AuthMethod
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_user, authenticate, obtain_tokens
from tests.support.tokens import bearer


@pytest.fixture
async def requests(client: httpx.AsyncClient, rt: Runtime, clock: Clock) -> list[httpx.Response]:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    tokens = await obtain_tokens(client, rt.store, app, now=int(clock.now))
    probe = {"token": tokens["access_token"]}
    revoke = {"token": "garbage"}
    return [
        await client.post("/oauth/token", data={"grant_type": "nope", "client_id": "x"}),
        await client.post("/oauth/token", data={"grant_type": "refresh_token"}),
        await client.get("/userinfo", headers=bearer(tokens["access_token"])),
        await client.get("/userinfo"),
        await client.post("/oauth/introspect", data=probe, headers=authenticate(app, probe)),
        await client.post("/oauth/introspect", data={"token": "x"}),
        await client.post("/oauth/revoke", data=revoke, headers=authenticate(app, revoke)),
        await client.post("/oauth/revoke", data=revoke),
    ]


async def test_no_token_family_answer_may_be_cached(requests: list[httpx.Response]) -> None:
    assert {r.status_code for r in requests} >= {200, 400, 401}
    for response in requests:
        assert response.headers["cache-control"] == "no-store", response.url
        assert response.headers["pragma"] == "no-cache", response.url


async def test_successful_token_response_is_not_cached(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    app = await add_client(rt.store, public=True)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "client_id": app.client_id, "code": "x"},
    )
    assert response.headers["cache-control"] == "no-store"
    tokens = await obtain_tokens(client, rt.store, app, now=int(clock.now), audience=None)
    assert tokens["token_type"] == "Bearer"
