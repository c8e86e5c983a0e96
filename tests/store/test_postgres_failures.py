"""PostgreSQL failing under a running node: each failure is StoreUnavailableError (a 503
for the request), and the pool serves the next transaction.

A statement past `statement_timeout`, a connection the server terminates mid-transaction,
a pool with no free connection; and a pooled connection that died while idle, which is
replaced before the transaction starts (the one retry that is safe for any transaction).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest

from tessera.store.errors import StoreUnavailableError
from tessera.store.postgres import PostgresDatabase
from tests.conftest import fresh_postgres_url
from tests.support.postgres import PostgresCluster

TIMEOUT = 0.3


@pytest.fixture
def postgres_url(postgres: PostgresCluster | None) -> str:
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    return fresh_postgres_url(postgres)


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[PostgresDatabase]:
    opened = await PostgresDatabase.connect(
        postgres_url, min_size=1, max_size=1, statement_timeout=TIMEOUT, connect_timeout=TIMEOUT
    )
    yield opened
    await opened.close()


@pytest.fixture
def terminate_backends(postgres: PostgresCluster, postgres_url: str) -> Callable[[], None]:
    """Have the server end every connection to the test database, as a restart does."""
    name = postgres_url.rsplit("/", 1)[1]

    def terminate() -> None:
        postgres.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )

    return terminate


async def answers(database: PostgresDatabase) -> bool:
    async with database.transaction() as conn:
        row = await conn.fetch_one("SELECT 1 AS one")
    return row is not None and row["one"] == 1


async def test_statement_past_the_timeout_is_unavailable_and_the_pool_recovers(
    database: PostgresDatabase,
) -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="statement timeout"):
        async with database.transaction() as conn:
            await conn.fetch_one("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 2
    assert await answers(database)


async def test_connection_terminated_mid_transaction_is_unavailable_and_rolled_back(
    database: PostgresDatabase, terminate_backends: Callable[[], None]
) -> None:
    async with database.transaction() as conn:
        await conn.execute("CREATE TABLE marks (n INT)")
    with pytest.raises(StoreUnavailableError):
        async with database.transaction() as conn:
            await conn.execute("INSERT INTO marks VALUES (1)")
            terminate_backends()
            time.sleep(0.2)  # Blocks the loop: the client learns of it on the next statement.
            await conn.execute("INSERT INTO marks VALUES (2)")
    async with database.transaction() as conn:
        assert await conn.fetch_all("SELECT n FROM marks") == []


async def test_idle_connection_the_server_dropped_is_replaced_before_begin(
    database: PostgresDatabase, terminate_backends: Callable[[], None]
) -> None:
    assert await answers(database)
    terminate_backends()
    time.sleep(0.2)  # Blocks the loop: the pool hands out the dead connection unaware.
    assert await answers(database)


async def test_no_free_connection_within_the_connect_timeout_is_unavailable(
    database: PostgresDatabase,
) -> None:
    async with database.transaction():
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            async with database.transaction():
                pass
        assert TIMEOUT <= time.monotonic() - started < 2
    assert await answers(database)
