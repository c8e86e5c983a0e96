"""The signing key repository: each state change is one conditional statement, so of
several nodes attempting it, exactly one makes it and is told so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tessera.core.keyring import new_stored_key
from tessera.core.models import KeyState, KeySwitch, StoredKey
from tessera.crypto.keys import Algorithm
from tessera.store import Store

NOW = 1_800_000_000
SECRET = "secret"
RS256 = Algorithm.RS256


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=4)
    yield opened
    await opened.close()


async def keys_of(store: Store, alg: Algorithm = RS256) -> dict[KeyState, StoredKey]:
    async with store.read_transaction() as tx:
        return {key.state: key for key in await tx.keys.list() if key.alg is alg}


async def add_next(store: Store, activates_at: int = NOW + 10) -> StoredKey:
    key = new_stored_key(RS256, SECRET, NOW, activates_at=activates_at)
    async with store.transaction() as tx:
        assert await tx.keys.add(key)
    return key


async def test_a_second_current_or_next_key_of_an_algorithm_is_not_added(store: Store) -> None:
    seeded = (await keys_of(store))[KeyState.CURRENT]
    upcoming = await add_next(store)
    async with store.transaction() as tx:
        assert not await tx.keys.add(new_stored_key(RS256, SECRET, NOW))
        assert not await tx.keys.add(new_stored_key(RS256, SECRET, NOW, activates_at=NOW + 20))
    keys = await keys_of(store)
    assert keys[KeyState.CURRENT] == seeded
    assert keys[KeyState.NEXT] == upcoming and upcoming.activates_at == NOW + 10


async def test_a_next_key_becomes_current_when_due_and_only_once(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    old = (await keys_of(first))[KeyState.CURRENT]
    upcoming = await add_next(first)
    async with first.transaction() as tx:
        assert await tx.keys.activate_due(RS256, NOW + 9, NOW + 100) is None
    async with first.transaction() as tx:
        switch = await tx.keys.activate_due(RS256, NOW + 10, NOW + 100)
    assert switch == KeySwitch(
        activated=replace(upcoming, state=KeyState.CURRENT),
        replaced=replace(old, state=KeyState.PUBLISHED, retires_at=NOW + 100),
    )
    async with second.transaction() as tx:  # Another node, a moment later.
        assert await tx.keys.activate_due(RS256, NOW + 11, NOW + 200) is None
    keys = await keys_of(first)
    assert keys[KeyState.CURRENT].kid == upcoming.kid
    assert keys[KeyState.PUBLISHED].retires_at == NOW + 100  # Not moved by the other node.


async def test_racing_nodes_switch_once_on_postgresql(stores: tuple[Store, Store]) -> None:
    first, second = stores
    if first.database.dialect == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: nothing can interleave")
    upcoming = await add_next(first)

    async def switch(store: Store) -> KeySwitch | None:
        async with store.transaction() as tx:
            return await tx.keys.activate_due(RS256, NOW + 10, NOW + 100)

    async with first.transaction() as tx:
        won = await tx.keys.activate_due(RS256, NOW + 10, NOW + 100)
        racing = asyncio.create_task(switch(second))
        await asyncio.sleep(0.2)  # The other node waits on the rows this one changed.
        assert not racing.done()
    assert won is not None and won.activated.kid == upcoming.kid
    assert await racing is None
    assert (await keys_of(first))[KeyState.CURRENT].kid == upcoming.kid


async def test_racing_nodes_add_one_next_key_on_postgresql(stores: tuple[Store, Store]) -> None:
    first, second = stores
    if first.database.dialect == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: nothing can interleave")
    mine, theirs = (new_stored_key(RS256, SECRET, NOW, activates_at=NOW + 10) for _ in range(2))

    async def add(store: Store, key: StoredKey) -> bool:
        async with store.transaction() as tx:
            return await tx.keys.add(key)

    async with first.transaction() as tx:
        assert await tx.keys.add(mine)
        racing = asyncio.create_task(add(second, theirs))
        await asyncio.sleep(0.2)
        assert not racing.done()
    assert await racing is False
    assert (await keys_of(first))[KeyState.NEXT].kid == mine.kid


async def test_stop_signing_publishes_the_current_key_until_its_retirement(store: Store) -> None:
    old = (await keys_of(store))[KeyState.CURRENT]
    async with store.transaction() as tx:
        stopped = await tx.keys.stop_signing(RS256, NOW + 100)
        assert await tx.keys.stop_signing(RS256, NOW + 200) is None
    assert stopped == replace(old, state=KeyState.PUBLISHED, retires_at=NOW + 100)
    assert KeyState.CURRENT not in await keys_of(store)


async def test_published_keys_are_dated_then_retired_when_due(store: Store) -> None:
    undated = replace(
        new_stored_key(RS256, SECRET, NOW), state=KeyState.PUBLISHED, activates_at=None
    )
    async with store.transaction() as tx:
        assert await tx.keys.add(undated)
        assert await tx.keys.date_retirements(NOW + 50) == 1
        assert await tx.keys.date_retirements(NOW + 99) == 0  # Dated once.
        assert await tx.keys.retire_due(NOW + 49) == []
        (retired,) = await tx.keys.retire_due(NOW + 50)
        assert await tx.keys.retire_due(NOW + 51) == []
    assert retired == replace(
        undated, state=KeyState.RETIRED, retires_at=NOW + 50, retired_at=NOW + 50
    )
    assert KeyState.PUBLISHED not in await keys_of(store)


async def test_retire_takes_published_and_next_keys_never_the_current_one(store: Store) -> None:
    current = (await keys_of(store))[KeyState.CURRENT]
    upcoming = await add_next(store)
    async with store.transaction() as tx:
        assert await tx.keys.retire(current.kid, NOW) is None
        cancelled = await tx.keys.retire(upcoming.kid, NOW)
        assert cancelled is not None and cancelled.state is KeyState.RETIRED
        assert await tx.keys.retire(upcoming.kid, NOW) is None
        published = await tx.keys.stop_signing(RS256, NOW + 100)
        assert published is not None
        assert await tx.keys.retire(published.kid, NOW) is not None
