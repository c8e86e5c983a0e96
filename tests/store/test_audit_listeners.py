"""`Store.audit_listeners` hear an audit event once its transaction has committed, and
never one that was rolled back: in a transaction, and in steps on either engine (a step
of their own on PostgreSQL, savepoints of one transaction on SQLite)."""

from __future__ import annotations

import pytest

from tessera.core.audit_events import Event
from tessera.store import Store
from tessera.store.audit import Recorded


class Boom(Exception):
    """Anything that ends a block."""


@pytest.fixture
def heard(stores: tuple[Store, Store]) -> list[Recorded]:
    store, _ = stores
    events: list[Recorded] = []
    store.audit_listeners.append(events.append)
    return events


async def test_a_committed_event_is_heard_with_its_client_and_detail(
    stores: tuple[Store, Store], heard: list[Recorded]
) -> None:
    store, _ = stores
    async with store.transaction() as tx:
        await tx.audit.record(Event.TOKEN_ISSUED, 1, client_id="app", detail={"grant_type": "x"})
        assert heard == []
    assert heard == [Recorded(Event.TOKEN_ISSUED, "app", {"grant_type": "x"})]


async def test_an_event_rolled_back_is_not_heard(
    stores: tuple[Store, Store], heard: list[Recorded]
) -> None:
    store, _ = stores
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.audit.record(Event.LOGIN_SUCCEEDED, 1)
            raise Boom()
    assert heard == []


async def test_steps_are_heard_when_they_stay_done_and_not_when_they_raise(
    stores: tuple[Store, Store], heard: list[Recorded]
) -> None:
    store, _ = stores
    with pytest.raises(Boom):
        async with store.steps() as steps:
            async with steps.step() as tx:
                await tx.audit.record(Event.TOKEN_RATE_LIMITED, 1)
            with pytest.raises(Boom):
                async with steps.step() as tx:
                    await tx.audit.record(Event.TOKEN_ISSUED, 1)
                    raise Boom()
            raise Boom()
    assert [event.event for event in heard] == [Event.TOKEN_RATE_LIMITED]


async def test_a_transaction_without_audit_events_tells_nothing(
    stores: tuple[Store, Store], heard: list[Recorded]
) -> None:
    store, _ = stores
    async with store.transaction() as tx:
        await tx.users.list()
    assert heard == []
