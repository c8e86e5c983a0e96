"""Fixtures shared by the flow tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tessera.store import engine
from tessera.web.runtime import Runtime
from tests.support.grants import RegisteredClient, add_api, add_client, add_user


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    """The user, the API and a public client: what most token-endpoint tests start from.

    A module that needs another kind of client defines its own `app_client`.
    """
    await add_user(rt.store)
    await add_api(rt.store)
    return await add_client(rt.store, public=True)


def record_into(sent: list[str], method: Callable[..., Awaitable[Any]]) -> Any:
    async def recorded(self: engine.Connection, sql: str, params: Any = None) -> Any:
        sent.append(" ".join(sql.split()[:4]))
        return await method(self, sql, params)

    return recorded


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements tessera sends from now on (both drivers), their first words."""
    sent: list[str] = []
    for connection in (engine._SQLiteConnection, engine._PostgresConnection):
        for name in ("fetch_one", "fetch_all", "execute"):
            monkeypatch.setattr(connection, name, record_into(sent, getattr(connection, name)))
    return sent
