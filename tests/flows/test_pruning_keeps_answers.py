"""Pruning removes only what no longer changes an answer: a live family keeps the
rotated tokens that recognise a reuse, and a spent grant answers the same once gone."""

from __future__ import annotations

import httpx
import pytest

from tessera.store.prune import MARGIN, prune
from tessera.web.app import prune_policy
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    authenticate,
    obtain_tokens,
    refresh,
)
from tests.support.tokens import bearer


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    """A confidential client: its refresh tokens live the server's 30 days unused, so a
    family outlives the 20-day steps below (a public client's would not)."""
    await add_user(rt.store)
    await add_api(rt.store)
    return await add_client(rt.store)


async def prune_now(rt: Runtime) -> dict[str, int]:
    return await prune(rt.store.database, rt.now(), prune_policy(rt.settings))


def refused(response: httpx.Response) -> bool:
    return response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_an_expired_rotated_token_still_revokes_its_live_family_after_pruning(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    sliding = rt.policy.tokens.refresh.for_client(app_client.client).sliding
    stolen = await obtain_tokens(client, rt.store, app_client, now=rt.now())
    clock.advance(sliding * 2 // 3)
    live = (await refresh(client, app_client, stolen["refresh_token"])).json()
    clock.advance(sliding // 2)  # The rotated token has expired; its successor lives.
    assert (await prune_now(rt))["refresh_tokens"] == 0
    assert refused(await refresh(client, app_client, stolen["refresh_token"]))
    assert refused(await refresh(client, app_client, live["refresh_token"]))  # Revoked.


async def test_a_pruned_revoked_grant_answers_as_it_did(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(client, rt.store, app_client, now=rt.now())
    form = {"token": tokens["refresh_token"]}
    assert (
        await client.post("/oauth/revoke", data=form, headers=authenticate(app_client, form))
    ).status_code == 200
    clock.advance(rt.settings.access_token_lifetime + MARGIN)

    async def answers() -> list[object]:
        form = {"token": tokens["refresh_token"]}
        revoked = await client.post(
            "/oauth/revoke", data=form, headers=authenticate(app_client, form)
        )
        renewed = await refresh(client, app_client, tokens["refresh_token"])
        userinfo = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
        return [revoked.status_code, renewed.status_code, renewed.json(), userinfo.status_code]

    before = await answers()
    deleted = await prune_now(rt)
    assert (deleted["grants"], deleted["refresh_tokens"]) == (1, 1)
    assert await answers() == before
