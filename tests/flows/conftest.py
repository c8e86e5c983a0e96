"""Fixtures shared by the flow tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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


@pytest.fixture
def statements(rt: Runtime) -> Iterator[list[str]]:
    """The statements the app sends from now on (either engine), their first words."""
    sent: list[str] = []
    with rt.store.database.observe(lambda sql: sent.append(" ".join(sql.split()[:4]))):
        yield sent
