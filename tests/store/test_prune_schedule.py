"""Background pruning: one worker of the deployment per interval (a lease row taken with
one conditional statement), and a failed turn is logged and tried again next interval."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tessera.store import Store, prune_schedule as schedule_module
from tessera.store.engine import Database
from tessera.store.errors import StoreUnavailableError
from tessera.store.leases import take_lease
from tessera.store.prune import PrunePolicy, prune
from tessera.store.prune_schedule import PruneSchedule
from tests.conftest import Clock

POLICY = PrunePolicy(audit_retention=0, access_token_lifetime=3600)
INTERVAL = 3600


async def test_of_nodes_asking_at_once_exactly_one_takes_the_lease(
    stores: tuple[Store, Store],
) -> None:
    async def ask(store: Store, holder: str, now: int) -> bool:
        async with store.transaction() as tx:
            return await take_lease(tx.conn, "job", holder, now=now, until=now + 60)

    first, second = stores
    taken = await asyncio.gather(*(ask(s, f"node-{n}", 1000) for n, s in enumerate(stores * 3)))
    assert taken.count(True) == 1
    assert not await ask(second, "node-1", 1059)
    assert await ask(second, "node-1", 1060)  # Run out: anybody may take it.
    assert not await ask(first, "node-0", 1061)


async def test_one_worker_of_the_deployment_prunes_per_interval(
    stores: tuple[Store, Store], clock: Clock
) -> None:
    first, second = (
        PruneSchedule(store.database, POLICY, interval=INTERVAL, clock=clock) for store in stores
    )
    assert await first.turn() is not None
    assert await second.turn() is None
    assert await first.turn() is None
    clock.advance(INTERVAL)
    assert await second.turn() is not None


async def test_a_failed_turn_is_logged_and_the_next_one_prunes(
    stores: tuple[Store, Store],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_prune = prune
    turns: list[str] = []

    async def failing_once(database: Database, now: int, policy: PrunePolicy) -> dict[str, int]:
        clock.advance(1)  # The next turn finds the lease run out.
        if not turns:
            turns.append("failed")
            raise StoreUnavailableError("sqlite: database is locked")
        turns.append("pruned")
        return await real_prune(database, now, policy)

    monkeypatch.setattr(schedule_module, "prune", failing_once)
    schedule = PruneSchedule(stores[0].database, POLICY, interval=1, clock=clock, first_delay=0)
    caplog.set_level(logging.INFO, "tessera.prune")
    schedule.start()
    try:
        async with asyncio.timeout(10):
            while not any(r.message.startswith("pruned ") for r in caplog.records):
                await asyncio.sleep(0.01)
    finally:
        await schedule.stop()
    assert turns == ["failed", "pruned"]
    assert "pruning failed, next try in 1 s: sqlite: database is locked" in caplog.text
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "tessera-prune"]
