"""POST /oauth/revoke (RFC 7009): refresh tokens end their grant, access tokens are listed."""

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
    add_client,
    authenticate,
    obtain_tokens,
    refresh,
)
from tests.support.tokens import bearer


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, app_client, now=int(clock.now))


async def revoke(
    http: httpx.AsyncClient, client: RegisteredClient, **params: str
) -> httpx.Response:
    form = dict(params)
    return await http.post("/oauth/revoke", data=form, headers=authenticate(client, form))


async def test_revoking_a_refresh_token_ends_its_grant(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, tokens: dict[str, Any]
) -> None:
    response = await revoke(
        client, app_client, token=tokens["refresh_token"], token_type_hint="refresh_token"
    )
    assert response.status_code == 200 and response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert (await refresh(client, app_client, tokens["refresh_token"])).status_code == 400
    userinfo = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    async with rt.store.transaction() as tx:
        assert (await tx.audit.tail(1))[0].event == "grant.revoked"
    again = await revoke(client, app_client, token=tokens["refresh_token"])
    assert again.status_code == 200


async def test_revoking_an_access_token_lists_it_and_spares_the_grant(
    client: httpx.AsyncClient, app_client: RegisteredClient, tokens: dict[str, Any]
) -> None:
    response = await revoke(client, app_client, token=tokens["access_token"])
    assert response.status_code == 200
    userinfo = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    assert (await refresh(client, app_client, tokens["refresh_token"])).status_code == 200


@pytest.mark.parametrize(
    "token", ["tsr_rt_unknown", "garbage", "eyJhbGciOiJub25lIn0.e30."], ids=str
)
async def test_unknown_or_invalid_tokens_are_not_an_error(
    client: httpx.AsyncClient, app_client: RegisteredClient, token: str
) -> None:
    assert (await revoke(client, app_client, token=token)).status_code == 200


async def test_an_expired_access_token_is_not_an_error(
    client: httpx.AsyncClient, app_client: RegisteredClient, tokens: dict[str, Any], clock: Clock
) -> None:
    clock.advance(86400)
    assert (await revoke(client, app_client, token=tokens["access_token"])).status_code == 200


async def test_another_clients_tokens_are_refused_and_stay_live(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, tokens: dict[str, Any]
) -> None:
    other = await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)
    for token in (tokens["refresh_token"], tokens["access_token"]):
        response = await revoke(client, other, token=token)
        assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
    userinfo = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 200


async def test_a_machine_token_can_be_revoked(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient
) -> None:
    machine = await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )
    form = {"grant_type": "client_credentials", "audience": API_ID}
    issued = await client.post("/oauth/token", data=form, headers=authenticate(machine, form))
    token = issued.json()["access_token"]
    assert (await revoke(client, machine, token=token)).status_code == 200
    introspector = await add_client(
        rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST, resource_server_for=[API_ID]
    )
    form = {"token": token}
    answer = await client.post(
        "/oauth/introspect", data=form, headers=authenticate(introspector, form)
    )
    assert answer.json() == {"active": False}


async def test_missing_token_or_client_is_refused(
    client: httpx.AsyncClient, app_client: RegisteredClient
) -> None:
    missing = await revoke(client, app_client)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    anonymous = await client.post("/oauth/revoke", data={"token": "x"})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
