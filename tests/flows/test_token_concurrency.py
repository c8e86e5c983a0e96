"""Parallel requests against one code or one refresh token: exactly one wins.

The requests run concurrently over the ASGI app: on PostgreSQL each holds its own
pooled connection and transaction, so the conditional UPDATEs really race; on SQLite
they queue on the write lock, which must give the same answer.
"""

from __future__ import annotations

import asyncio

import httpx

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    RegisteredClient,
    add_grant,
    code_form,
    obtain_tokens,
    refresh,
)

PARALLEL = 6


async def test_concurrent_redemptions_of_one_code_give_exactly_one_success(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(rt.store, app_client, now=int(clock.now))
    form = code_form(issued, app_client.client_id)
    responses = await asyncio.gather(
        *(client.post("/oauth/token", data=form) for _ in range(PARALLEL))
    )
    assert sorted(r.status_code for r in responses) == [200] + [400] * (PARALLEL - 1)
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}
    # The losers presented a used code: the winner's tokens are revoked with the grant.
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert (await refresh(client, app_client, winner["refresh_token"])).status_code == 400


async def test_concurrent_refreshes_with_one_token_give_exactly_one_success(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(client, rt.store, app_client, now=int(clock.now))
    responses = await asyncio.gather(
        *(refresh(client, app_client, tokens["refresh_token"]) for _ in range(PARALLEL))
    )
    assert sorted(r.status_code for r in responses) == [200] + [400] * (PARALLEL - 1)
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert (await refresh(client, app_client, winner["refresh_token"])).status_code == 400
