"""The server prunes by itself every TESSERA_PRUNE_INTERVAL seconds, from its lifespan,
and the task ends with the server; 0 turns it off."""

from __future__ import annotations

import asyncio

import httpx

from tessera.settings import Settings
from tessera.web.app import create_app
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.authorize import add_app, request_params
from tests.support.grants import add_api


def pruning_tasks() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "tessera-prune"]


async def interactions(rt: Runtime) -> int:
    async with rt.store.transaction() as tx:
        row = await tx.conn.fetch_one("SELECT COUNT(*) AS n FROM interactions")
    assert row is not None
    return int(row["n"])


async def test_the_server_prunes_by_itself_and_stops_pruning_when_it_stops(
    settings: Settings, clock: Clock
) -> None:
    app = create_app(settings.model_copy(update={"prune_interval": 1}), clock=clock)
    async with app.router.lifespan_context(app):
        rt: Runtime = app.state.runtime
        await add_api(rt.store)
        registered = await add_app(rt.store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            await http.get("/authorize", params=request_params(registered.client_id))
        assert await interactions(rt) == 1
        clock.advance(rt.settings.interaction_lifetime)  # The sign-in expires unfinished.
        async with asyncio.timeout(10):
            while await interactions(rt):
                await asyncio.sleep(0.05)
        assert len(pruning_tasks()) == 1
    assert not pruning_tasks()


async def test_an_interval_of_zero_turns_background_pruning_off(
    settings: Settings, clock: Clock
) -> None:
    app = create_app(settings.model_copy(update={"prune_interval": 0}), clock=clock)
    async with app.router.lifespan_context(app):
        assert not pruning_tasks()
