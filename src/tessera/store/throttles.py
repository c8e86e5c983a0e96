"""Fixed-window counters with a block, shared by every worker and node through the database."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.core.models import Timestamp, WindowCount
from tessera.store.engine import Connection


class SQLThrottleRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def blocked_until(self, key: str) -> Timestamp:
        row = await self._conn.fetch_one(
            "SELECT blocked_until FROM throttles WHERE key = :key", {"key": key}
        )
        return 0 if row is None else int(row["blocked_until"])

    async def count(self, key: str, now: Timestamp, window: int) -> int:
        (counted,) = await self.count_each([key], now, window)
        return counted.hits

    async def count_each(
        self, keys: Sequence[str], now: Timestamp, window: int
    ) -> Sequence[WindowCount]:
        ordered = sorted(set(keys))
        rows = ", ".join(f"(:key{n}, 1, :now, 0)" for n in range(len(ordered)))
        params: dict[str, object] = {f"key{n}": key for n, key in enumerate(ordered)}
        # An upsert returns exactly one row per key.
        counted = await self._conn.fetch_all(
            "INSERT INTO throttles (key, hits, window_started_at, blocked_until) "
            f"VALUES {rows} "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN throttles.window_started_at <= :window_start THEN 1 "
            "ELSE throttles.hits + 1 END, "
            "window_started_at = CASE WHEN throttles.window_started_at <= :window_start "
            "THEN :now ELSE throttles.window_started_at END "
            "RETURNING key, hits, window_started_at",
            {**params, "now": now, "window_start": now - window},
        )
        return [
            WindowCount(str(row["key"]), int(row["hits"]), int(row["window_started_at"]))
            for row in counted
        ]

    async def block(self, key: str, until: Timestamp) -> None:
        await self._conn.execute(
            "UPDATE throttles SET blocked_until = :until "
            "WHERE key = :key AND blocked_until < :until",
            {"key": key, "until": until},
        )

    async def reset(self, key: str) -> None:
        await self._conn.execute("DELETE FROM throttles WHERE key = :key", {"key": key})
