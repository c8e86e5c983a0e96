"""What the probes read and how long they wait: `/livez` sends no statement, `/readyz`
answers 503 within its timeout however long the database takes, and fails on a missing
signing key (tests/integration/test_probes.py covers the schema and an outage)."""

from __future__ import annotations

import time

import asyncpg
import httpx
import pytest

from tessera.web.endpoints.probes import READINESS_TIMEOUT
from tessera.web.runtime import Runtime
from tests.conftest import Clock


async def test_livez_sends_no_statement(client: httpx.AsyncClient, statements: list[str]) -> None:
    assert (await client.get("/livez")).status_code == 200
    assert statements == []


async def test_readyz_names_the_keys_when_an_enabled_algorithm_cannot_sign(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    rt.keyring.use([], clock())
    answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "failed": "keys"}


async def test_readyz_gives_up_on_a_stalled_database_within_its_timeout(
    client: httpx.AsyncClient, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite readers take no lock a writer could hold")
    blocker = await asyncpg.connect(database_url)
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            answer = await client.get("/readyz")
            waited = time.monotonic() - started
    finally:
        await blocker.close()
    assert answer.status_code == 503 and answer.json()["failed"] == "database"
    assert READINESS_TIMEOUT <= waited < READINESS_TIMEOUT + 1
    assert (await client.get("/readyz")).status_code == 200
