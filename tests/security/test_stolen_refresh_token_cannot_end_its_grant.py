"""Security rule: a refresh token is bound to its client. Presented by another client
(anyone can name a public one) it is invalid_grant and changes nothing: it is neither
rotated nor, if already rotated, taken for reuse that would revoke its owner's grant.
The attempt is an audit event."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    obtain_tokens,
    refresh,
)
from tests.support.tokens import bearer


@pytest.fixture
async def owner(rt: Runtime) -> RegisteredClient:
    await add_user(rt.store)
    await add_api(rt.store)
    return await add_client(rt.store, public=True)


@pytest.fixture
async def thief(rt: Runtime) -> RegisteredClient:
    """Another public client: naming it is all the authentication it takes."""
    return await add_client(rt.store, public=True)


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, rt: Runtime, owner: RegisteredClient, clock: Clock
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, owner, now=int(clock.now))


def is_invalid_grant(response: httpx.Response) -> bool:
    return response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def foreign_events(rt: Runtime) -> list[dict[str, str | None]]:
    async with rt.store.transaction() as tx:
        events = await tx.audit.tail(20)
    return [
        {"client_id": e.client_id, **e.detail} for e in events if e.event == "refresh_token.foreign"
    ]


async def test_another_client_cannot_rotate_a_live_refresh_token(
    client: httpx.AsyncClient,
    rt: Runtime,
    owner: RegisteredClient,
    thief: RegisteredClient,
    tokens: dict[str, Any],
) -> None:
    assert is_invalid_grant(await refresh(client, thief, tokens["refresh_token"]))
    # A scope outside the grant gets the same answer: nothing about the token is told.
    wider = await refresh(client, thief, tokens["refresh_token"], scope="openid write:x")
    assert is_invalid_grant(wider)
    assert (await refresh(client, owner, tokens["refresh_token"])).status_code == 200
    grant_id = (await foreign_events(rt))[0]["grant_id"]
    assert (
        await foreign_events(rt)
        == [{"client_id": thief.client_id, "grant_id": grant_id, "owner": owner.client_id}] * 2
    )


async def test_another_client_presenting_a_rotated_token_does_not_revoke_the_grant(
    client: httpx.AsyncClient,
    rt: Runtime,
    owner: RegisteredClient,
    thief: RegisteredClient,
    tokens: dict[str, Any],
) -> None:
    current = (await refresh(client, owner, tokens["refresh_token"])).json()
    assert is_invalid_grant(await refresh(client, thief, tokens["refresh_token"]))
    userinfo = await client.get("/userinfo", headers=bearer(current["access_token"]))
    assert userinfo.status_code == 200
    assert (await refresh(client, owner, current["refresh_token"])).status_code == 200
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(20)]
    assert "refresh_token.reused" not in events and "grant.revoked" not in events
    assert "refresh_token.foreign" in events
