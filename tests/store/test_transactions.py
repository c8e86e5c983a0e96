"""The transaction rule and the steps port (core.ports.Transactions, Steps), on both
engines: a transaction commits when its block ends normally and rolls back on any
exception, an OAuthError included; a step is atomic and stays done whatever follows it;
on PostgreSQL each step commits on its own, on SQLite the steps commit together."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tessera.core.audit_events import Event
from tessera.core.errors import InvalidGrantError
from tessera.store import Store
from tessera.store.audit import Recorded
from tests.support.grants import USER

OTHER = replace(USER, id="user-2", username="bob", email=None)


class Boom(Exception):
    """Anything else that ends a block."""


async def users(store: Store) -> set[str]:
    async with store.read_transaction() as tx:
        return {user.id for user in await tx.users.list()}


@pytest.mark.parametrize("error", [InvalidGrantError, Boom])
async def test_a_transaction_ended_by_any_exception_keeps_nothing(
    stores: tuple[Store, Store], error: type[Exception]
) -> None:
    store, _ = stores
    with pytest.raises(error):
        async with store.transaction() as tx:
            await tx.users.add(USER)
            raise error()
    assert await users(store) == set()


async def test_a_step_that_raises_undoes_its_own_writes_and_keeps_the_ones_before(
    stores: tuple[Store, Store],
) -> None:
    store, _ = stores
    with pytest.raises(InvalidGrantError):
        async with store.steps() as steps:
            async with steps.step() as tx:
                await tx.users.add(USER)
            async with steps.step() as tx:
                await tx.users.add(OTHER)
                raise InvalidGrantError()
    assert await users(store) == {USER.id}


async def test_a_finished_step_stays_when_the_request_then_fails(
    stores: tuple[Store, Store],
) -> None:
    store, _ = stores
    with pytest.raises(Boom):
        async with store.steps() as steps:
            async with steps.step() as tx:
                await tx.users.add(USER)
            raise Boom()
    assert await users(store) == {USER.id}


async def test_steps_commit_one_by_one_on_postgresql_and_together_on_sqlite(
    stores: tuple[Store, Store],
) -> None:
    store, elsewhere = stores
    async with store.steps() as steps:
        async with steps.step() as tx:
            await tx.users.add(USER)
        seen_between = await users(elsewhere)
        async with steps.step(read_only=True) as tx:
            assert await tx.users.get(USER.id) == USER
    separate = store.database.dialect == "postgresql"
    assert seen_between == ({USER.id} if separate else set())
    assert await users(elsewhere) == {USER.id}


async def test_steps_whose_transaction_sqlite_ended_itself_keep_nothing_and_stop(
    stores: tuple[Store, Store],
) -> None:
    store, _ = stores
    if store.database.dialect != "sqlite":
        pytest.skip("only SQLite ends a transaction by itself after some errors")
    heard: list[Recorded] = []
    store.audit_listeners.append(heard.append)
    with pytest.raises(Boom):
        async with store.steps() as steps:
            async with steps.step() as tx:
                await tx.users.add(USER)
                await tx.audit.record(Event.USER_CREATED, 1)
            with pytest.raises(Boom):
                async with steps.step() as tx:
                    await tx.conn.execute("ROLLBACK")  # As SQLite does after SQLITE_FULL.
                    raise Boom()
            with pytest.raises(RuntimeError):
                async with steps.step() as tx:
                    await tx.users.add(OTHER)
            raise Boom()
    assert await users(store) == set()
    assert heard == []  # The audit event was rolled back with the user.
