"""POST /oauth/introspect (RFC 7662) for confidential clients such as resource servers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.core.models import AuthMethod, GrantType
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.grants import (
    API_ID,
    USER,
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    authenticate,
    obtain_tokens,
    refresh,
)


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    await add_user(rt.store)
    await add_api(rt.store)
    return await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_BASIC)


@pytest.fixture
async def resource_server(rt: Runtime, app_client: RegisteredClient) -> RegisteredClient:
    """The API's back end (after app_client, which creates the API)."""
    return await add_client(
        rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST, resource_server_for=[API_ID]
    )


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, app_client, now=int(clock.now))


async def introspect(
    http: httpx.AsyncClient, client: RegisteredClient, token: str
) -> dict[str, Any]:
    form = {"token": token}
    response = await http.post("/oauth/introspect", data=form, headers=authenticate(client, form))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_live_access_token_is_active_with_its_claims(
    client: httpx.AsyncClient,
    app_client: RegisteredClient,
    resource_server: RegisteredClient,
    tokens: dict[str, Any],
    clock: Clock,
) -> None:
    answer = await introspect(client, resource_server, tokens["access_token"])
    assert answer["active"] is True and answer["token_type"] == "Bearer"
    assert answer["iss"] == ISSUER and answer["sub"] == USER.id
    assert answer["client_id"] == app_client.client_id
    assert answer["aud"] == [API_ID, f"{ISSUER}/userinfo"]
    assert answer["scope"] == tokens["scope"] and answer["exp"] == int(clock.now) + 86400


async def test_a_refresh_token_is_active_only_to_its_own_client(
    client: httpx.AsyncClient,
    app_client: RegisteredClient,
    resource_server: RegisteredClient,
    tokens: dict[str, Any],
) -> None:
    own = await introspect(client, app_client, tokens["refresh_token"])
    assert own["active"] is True and own["token_type"] == "refresh_token"
    assert own["client_id"] == app_client.client_id and own["sub"] == USER.id
    assert own["scope"] == tokens["scope"]
    assert await introspect(client, resource_server, tokens["refresh_token"]) == {"active": False}


async def test_rotated_revoked_and_expired_tokens_are_inactive(
    client: httpx.AsyncClient,
    app_client: RegisteredClient,
    resource_server: RegisteredClient,
    tokens: dict[str, Any],
    clock: Clock,
) -> None:
    new = (await refresh(client, app_client, tokens["refresh_token"])).json()
    assert await introspect(client, app_client, tokens["refresh_token"]) == {"active": False}
    assert (await introspect(client, app_client, new["refresh_token"]))["active"] is True
    form = {"token": new["refresh_token"]}
    await client.post("/oauth/revoke", data=form, headers=authenticate(app_client, form))
    assert await introspect(client, app_client, new["refresh_token"]) == {"active": False}
    assert await introspect(client, resource_server, new["access_token"]) == {"active": False}
    clock.advance(86400)
    assert await introspect(client, resource_server, tokens["access_token"]) == {"active": False}


async def test_an_expired_refresh_token_is_inactive(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, tokens: dict[str, Any]
) -> None:
    async with rt.store.transaction() as tx:
        await tx.conn.execute("UPDATE refresh_tokens SET expires_at = 0")
    assert await introspect(client, app_client, tokens["refresh_token"]) == {"active": False}


@pytest.mark.parametrize("token", ["garbage", "tsr_rt_unknown"])
async def test_unknown_tokens_are_inactive(
    client: httpx.AsyncClient, resource_server: RegisteredClient, token: str
) -> None:
    assert await introspect(client, resource_server, token) == {"active": False}


async def test_public_clients_cannot_introspect(
    client: httpx.AsyncClient, rt: Runtime, tokens: dict[str, Any]
) -> None:
    public = await add_client(rt.store, public=True)
    form = {"token": tokens["access_token"], "client_id": public.client_id}
    response = await client.post("/oauth/introspect", data=form)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_missing_token_is_invalid_request(
    client: httpx.AsyncClient, resource_server: RegisteredClient
) -> None:
    form: dict[str, str] = {}
    response = await client.post(
        "/oauth/introspect", data=form, headers=authenticate(resource_server, form)
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_a_live_machine_token_is_active(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    resource_server: RegisteredClient,
) -> None:
    machine = await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )
    form = {"grant_type": "client_credentials", "audience": API_ID}
    issued = await client.post("/oauth/token", data=form, headers=authenticate(machine, form))
    answer = await introspect(client, resource_server, issued.json()["access_token"])
    assert answer["active"] is True and answer["sub"] == machine.client_id
    assert answer["aud"] == API_ID and "auth_time" not in answer
