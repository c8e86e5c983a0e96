"""Fixtures for the store tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tessera.store import Store


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two worker processes (or a worker and the CLI)
    would have."""
    first = await Store.open(database_url, min_size=1, max_size=2)
    second = await Store.open(database_url, min_size=1, max_size=2)
    yield first, second
    await first.close()
    await second.close()
