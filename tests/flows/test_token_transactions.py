"""The token endpoint's two steps (core.token_endpoint): admitting the request (client
authentication and the rate-limit count), then the grant. On PostgreSQL the admission
commits before the grant runs, so the counters' rows are not locked while a grant waits
or signs; on either engine the admission's count is kept whatever the grant answers."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
import httpx
import pytest

from tessera.settings import Settings
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_grant, add_user, code_form

LOCK_WAIT_LIMIT = 10.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A statement waits for a lock longer than the test waits for an answer."""
    return settings.model_copy(update={"db_statement_timeout": 3 * LOCK_WAIT_LIMIT})


@pytest.fixture(autouse=True)
async def _user_and_api(rt: Runtime) -> None:
    await add_user(rt.store)
    await add_api(rt.store)


async def until_a_statement_waits_for_a_lock(observer: asyncpg.Connection) -> None:
    """Return once a statement of this database waits for a row lock."""
    deadline = asyncio.get_running_loop().time() + LOCK_WAIT_LIMIT
    while not await observer.fetchval(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ):
        assert asyncio.get_running_loop().time() < deadline, "no statement waits for the lock"
        await asyncio.sleep(0.01)


async def test_a_grant_in_progress_locks_no_counter_that_another_request_needs(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, database_url: str
) -> None:
    if rt.store.database.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time: its steps share one transaction")
    # Two public clients used from one address: both requests count on its counter.
    first_app = await add_client(rt.store, public=True)
    second_app = await add_client(rt.store, public=True)
    stuck = await add_grant(rt.store, first_app, now=int(clock.now))
    other = await add_grant(rt.store, second_app, now=int(clock.now))
    blocker = await asyncpg.connect(database_url)
    try:
        async with blocker.transaction():
            # The first request's grant waits for this lock once it has been admitted.
            await blocker.execute("SELECT 1 FROM grants WHERE id = $1 FOR UPDATE", stuck.grant.id)
            first = asyncio.create_task(
                client.post("/oauth/token", data=code_form(stuck, first_app.client_id))
            )
            await until_a_statement_waits_for_a_lock(blocker)
            second = await asyncio.wait_for(
                client.post("/oauth/token", data=code_form(other, second_app.client_id)),
                LOCK_WAIT_LIMIT,
            )
            assert second.status_code == 200, second.text
            assert not first.done()
        assert (await first).status_code == 200
    finally:
        await blocker.close()


async def test_a_request_the_grant_refuses_is_still_counted(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    rt.policy = dataclasses.replace(
        rt.policy, client_limits=dataclasses.replace(rt.policy.client_limits, per_ip=1)
    )
    app = await add_client(rt.store, public=True)
    issued = await add_grant(rt.store, app, now=int(clock.now))
    unknown = code_form(issued, app.client_id, code="tsr_ac_unknown")
    refused = await client.post("/oauth/token", data=unknown)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    over = await client.post("/oauth/token", data=code_form(issued, app.client_id))
    assert over.status_code == 429 and over.json()["error"] == "slow_down"
