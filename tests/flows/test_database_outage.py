"""A node whose PostgreSQL stalls or disappears answers 503, then serves again by itself.

A token request stuck behind a lock past the statement timeout is a 503 whose
transaction rolled back, so the code still works; a dropped database is a 503 on every
endpoint (the load balancer's health check sees it), and a restored one is served
again without restarting the node.
"""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tessera.settings import Settings
from tessera.web.runtime import Runtime
from tests.conftest import Clock, fresh_postgres_url
from tests.support.grants import add_api, add_client, add_grant, add_user, code_form
from tests.support.postgres import PostgresCluster

STATEMENT_TIMEOUT = 0.5


@pytest.fixture
def database_url(postgres: PostgresCluster | None) -> str:
    """PostgreSQL only: SQLite has neither statement timeouts nor a server to lose."""
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    return fresh_postgres_url(postgres)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_statement_timeout": STATEMENT_TIMEOUT})


def unavailable(response: httpx.Response) -> bool:
    return response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"


async def test_statement_timeout_answers_503_and_leaves_the_code_unused(
    client: httpx.AsyncClient, rt: Runtime, database_url: str, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=True)
    issued = await add_grant(rt.store, app, now=int(clock.now))
    form = code_form(issued, app.client_id)
    blocker = await asyncpg.connect(database_url)
    try:
        async with blocker.transaction():
            await blocker.execute("SELECT 1 FROM grants WHERE id = $1 FOR UPDATE", issued.grant.id)
            stalled = await client.post("/oauth/token", data=form)
    finally:
        await blocker.close()
    assert unavailable(stalled)
    assert (await client.post("/oauth/token", data=form)).status_code == 200


async def test_dropped_database_is_503_everywhere_and_a_restored_one_is_served_again(
    client: httpx.AsyncClient, postgres: PostgresCluster, database_url: str
) -> None:
    name = database_url.rsplit("/", 1)[1]
    assert (await client.get("/healthz")).status_code == 200
    postgres.psql(f"DROP DATABASE {name} WITH (FORCE)")
    assert unavailable(await client.get("/healthz"))
    refresh = {"grant_type": "refresh_token", "refresh_token": "tsr_rt_x", "client_id": "app"}
    assert unavailable(await client.post("/oauth/token", data=refresh))
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE tessera_template")
    assert (await client.get("/healthz")).status_code == 200
