"""Security rule: introspection tells whether an access token is live only to the client
it was issued to and to the resource servers registered for its audience
(`clients create --resource-server`); to any other client it is `{"active": false}`
(RFC 7662 4). A refresh token stays visible to its own client alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.core.models import AuthMethod, GrantType
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    API_ID,
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    authenticate,
    obtain_tokens,
)

OTHER_API = "https://other.example.test"


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    await add_user(rt.store)
    await add_api(rt.store)
    await add_api(rt.store, OTHER_API)
    return await add_client(rt.store)


async def introspect(
    http: httpx.AsyncClient, client: RegisteredClient, token: str
) -> dict[str, Any]:
    form = {"token": token}
    response = await http.post("/oauth/introspect", data=form, headers=authenticate(client, form))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_user_token_is_active_only_to_its_client_and_its_apis_resource_servers(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(client, rt.store, app_client, now=int(clock.now))
    back_end = await add_client(rt.store, resource_server_for=[API_ID])
    other_back_end = await add_client(rt.store, resource_server_for=[OTHER_API])
    bystander = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    for allowed in (app_client, back_end):
        answer = await introspect(client, allowed, tokens["access_token"])
        assert answer["active"] is True and answer["client_id"] == app_client.client_id
    for refused in (other_back_end, bystander):
        assert await introspect(client, refused, tokens["access_token"]) == {"active": False}
    assert await introspect(client, back_end, tokens["refresh_token"]) == {"active": False}


async def test_a_machine_token_is_active_only_to_its_client_and_its_apis_resource_servers(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient
) -> None:
    machine = await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )
    form = {"grant_type": "client_credentials", "audience": API_ID}
    issued = await client.post("/oauth/token", data=form, headers=authenticate(machine, form))
    token = issued.json()["access_token"]
    back_end = await add_client(rt.store, resource_server_for=[API_ID], redirect_uris=())
    assert back_end.client.grant_types == frozenset()  # It only introspects.
    assert (await introspect(client, machine, token))["active"] is True
    assert (await introspect(client, back_end, token))["active"] is True
    assert await introspect(client, app_client, token) == {"active": False}
