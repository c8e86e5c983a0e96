"""What a token request costs in transactions: one on SQLite, whose single writer would
make a second wait for the first anyway, and two on PostgreSQL, where the rate-limit
counters are committed before any signing so that their rows are not held locked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    RegisteredClient,
    add_api,
    add_client,
    add_grant,
    add_user,
    code_form,
)


@pytest.fixture
def transactions(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Transactions opened on the app's database from now on."""
    opened: list[str] = []
    database = type(rt.store.database)
    original: Callable[[Any], Any] = database.transaction

    def counted(self: Any) -> Any:
        opened.append(self.dialect)
        return original(self)

    monkeypatch.setattr(database, "transaction", counted)
    return opened


async def test_a_code_redemption_is_one_transaction_on_sqlite_two_on_postgresql(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, transactions: list[str]
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    public: RegisteredClient = await add_client(rt.store, public=True)
    issued = await add_grant(rt.store, public, now=int(clock.now))
    transactions.clear()
    response = await client.post("/oauth/token", data=code_form(issued, public.client_id))
    assert response.status_code == 200, response.text
    expected = 1 if rt.store.serializes_writes else 2
    assert len(transactions) == expected, transactions
    assert rt.store.serializes_writes is (rt.store.database.dialect == "sqlite")
