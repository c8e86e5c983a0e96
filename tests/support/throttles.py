"""Counting one throttle key, as core's callers of `count_each` do for several."""

from __future__ import annotations

from tessera.core.models import Timestamp
from tessera.store import SQLRepos


async def count_one(tx: SQLRepos, key: str, now: Timestamp, window: int) -> int:
    """Count one event on `key`; its count in its current window."""
    (counted,) = await tx.throttles.count_each([key], now, window)
    return counted.hits
