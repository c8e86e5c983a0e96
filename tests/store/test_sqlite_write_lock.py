"""SQLite's write lock is waited for with asyncio pauses, never inside SQLite on the event
loop, and a lock that cannot be had in time is StoreUnavailableError (SQLite only)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tessera.store.errors import StoreUnavailableError
from tessera.store.sqlite import SQLiteDatabase

LOCK_TIMEOUT = 0.3
TICK = 0.01


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    opened = SQLiteDatabase(tmp_path / "t.db", lock_timeout=LOCK_TIMEOUT)
    async with opened.transaction() as conn:
        await conn.execute("CREATE TABLE t (v INTEGER)")
    yield opened
    await opened.close()


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the same file, as a second worker or a CLI command has."""
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    yield conn
    conn.close()


async def longest_pause_while(work: asyncio.Task[object]) -> float:
    """The longest the event loop went without running a timer while `work` ran."""
    loop = asyncio.get_running_loop()
    longest, last = 0.0, loop.time()
    while not work.done():
        await asyncio.sleep(TICK)
        longest, last = max(longest, loop.time() - last), loop.time()
    return longest


async def insert(database: SQLiteDatabase, value: int) -> None:
    async with database.transaction() as conn:
        await conn.execute("INSERT INTO t VALUES (:v)", {"v": value})


async def test_a_write_waits_for_the_lock_without_stopping_the_event_loop(
    database: SQLiteDatabase, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(LOCK_TIMEOUT / 2, other_process.execute, "COMMIT")
    write = asyncio.create_task(insert(database, 1))
    assert await longest_pause_while(write) < LOCK_TIMEOUT / 4
    await write
    assert other_process.execute("SELECT v FROM t").fetchall() == [(1,)]


async def test_a_lock_held_past_the_timeout_is_unavailable(
    database: SQLiteDatabase, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    write = asyncio.create_task(insert(database, 1))
    assert await longest_pause_while(write) < LOCK_TIMEOUT / 4
    with pytest.raises(StoreUnavailableError, match="locked"):
        await write
    other_process.execute("COMMIT")
    await insert(database, 2)  # The connection is usable again once the lock is free.


async def test_reads_go_on_while_a_write_waits_for_the_lock(
    database: SQLiteDatabase, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    write = asyncio.create_task(insert(database, 1))
    await asyncio.sleep(TICK)
    async with database.read_transaction() as conn:
        assert await conn.fetch_all("SELECT v FROM t") == []
    assert not write.done()
    other_process.execute("COMMIT")
    await write


async def test_a_statement_refused_for_the_lock_is_unavailable_and_rolled_back(
    database: SQLiteDatabase, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailableError, match="locked"):
        # A write inside a read transaction needs the lock at the statement itself.
        async with database.read_transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (1)")
    other_process.execute("COMMIT")
    await insert(database, 2)
    assert other_process.execute("SELECT v FROM t").fetchall() == [(2,)]
