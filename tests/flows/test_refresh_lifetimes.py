"""Refresh lifetimes by kind of client: a public client's refresh tokens live a day
unused and a week in all (OAuth 2.0 for Browser-Based Apps), a confidential client's
30 and 365 days, and a client may have its own."""

from __future__ import annotations

import httpx
import pytest

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.authorize import (
    PKCE,
    add_app,
    add_person,
    redeem,
    request_params,
    sign_in_and_consent,
)
from tests.support.grants import (
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    obtain_tokens,
    refresh,
)

DAY = 86_400


def is_refused(response: httpx.Response) -> bool:
    return response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_public_clients_sign_in_ends_a_week_after_it_began_however_often_refreshed(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    """Through /authorize, as a browser app signs in: the grant gets the public
    absolute lifetime, each refresh token the public sliding one."""
    await add_person(rt.store)
    await add_api(rt.store)
    app = RegisteredClient(await add_app(rt.store, public=True))
    pkce = PKCE()
    code = (await sign_in_and_consent(client, request_params(app.client_id, pkce)))["code"]
    token = (await redeem(client, app.client_id, code, pkce))["refresh_token"]
    for _ in range(7):
        clock.advance(DAY - 400)
        refreshed = await refresh(client, app, token)
        assert refreshed.status_code == 200, refreshed.text
        token = refreshed.json()["refresh_token"]
    clock.advance(7 * 400)  # A week and 0 seconds since the sign-in.
    assert is_refused(await refresh(client, app, token))


async def test_a_public_clients_refresh_token_ends_after_a_day_unused(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(client, rt.store, app_client, now=int(clock.now))
    clock.advance(rt.settings.public_refresh_token_sliding_lifetime)
    assert is_refused(await refresh(client, app_client, tokens["refresh_token"]))


async def test_a_confidential_clients_refresh_token_outlives_a_public_ones(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    back_end = await add_client(rt.store)
    tokens = await obtain_tokens(client, rt.store, back_end, now=int(clock.now))
    clock.advance(rt.settings.public_refresh_token_sliding_lifetime)
    assert (await refresh(client, back_end, tokens["refresh_token"])).status_code == 200


@pytest.mark.parametrize("public", [True, False])
async def test_a_clients_own_sliding_lifetime_replaces_its_kinds(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, public: bool
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=public, refresh_sliding_lifetime=600)
    tokens = await obtain_tokens(client, rt.store, app, now=int(clock.now))
    clock.advance(599)
    refreshed = await refresh(client, app, tokens["refresh_token"])
    assert refreshed.status_code == 200
    clock.advance(600)
    assert is_refused(await refresh(client, app, refreshed.json()["refresh_token"]))
