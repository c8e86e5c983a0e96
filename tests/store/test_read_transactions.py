"""Read transactions: what only reads takes no write lock, and cannot write by mistake."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
import pytest

from tessera.store import Store
from tests.support.grants import USER

OTHER = replace(USER, id="user-2", username="bob", email=None)


async def test_a_writer_commits_while_a_read_transaction_is_open(
    stores: tuple[Store, Store],
) -> None:
    reader, writer = stores
    async with writer.transaction() as tx:
        await tx.users.add(USER)
    async with reader.read_transaction() as read:
        assert await read.users.get(USER.id) == USER
        # A transaction holding SQLite's write lock would make this wait for
        # busy_timeout and then fail.
        async with writer.transaction() as tx:
            await tx.users.add(OTHER)
    async with reader.read_transaction() as read:
        assert await read.users.get(OTHER.id) == OTHER


async def test_a_write_in_a_read_transaction_fails_on_postgresql(
    stores: tuple[Store, Store],
) -> None:
    reader, _ = stores
    if reader.database.dialect != "postgresql":
        pytest.skip("SQLite has no read-only transaction; it only takes the lock late")
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        async with reader.read_transaction() as read:
            await read.users.add(USER)
