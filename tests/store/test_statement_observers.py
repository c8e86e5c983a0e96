"""A statement observer sees every statement a database's transactions send while it
observes, reads and writes, on both engines, and nothing once its block has ended."""

from __future__ import annotations

from tessera.core.audit_events import Event
from tessera.store import Store


async def test_an_observer_sees_each_statement_sent_while_it_observes(
    stores: tuple[Store, Store],
) -> None:
    store, _ = stores
    seen: list[str] = []
    async with store.transaction() as tx:
        await tx.conn.fetch_one("SELECT 1 AS before")
    with store.database.observe(seen.append):
        async with store.transaction() as tx:
            await tx.audit.record(Event.LOGOUT, 1_800_000_000)
            await tx.conn.fetch_all("SELECT 2 AS inside")
        async with store.read_transaction() as tx:
            await tx.conn.fetch_one("SELECT 3 AS read")
    async with store.transaction() as tx:
        await tx.conn.fetch_one("SELECT 4 AS after")
    assert [sql.split()[0] for sql in seen] == ["INSERT", "SELECT", "SELECT"]
    assert seen[1:] == ["SELECT 2 AS inside", "SELECT 3 AS read"]


async def test_observers_of_one_database_do_not_see_another(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    seen: list[str] = []
    with first.database.observe(seen.append):
        async with second.transaction() as tx:
            await tx.conn.fetch_one("SELECT 1 AS elsewhere")
    assert seen == []
