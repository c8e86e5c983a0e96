"""Fixtures shared by the flow tests."""

from __future__ import annotations

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
