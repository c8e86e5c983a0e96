"""Fixed-window counters with a block, shared by every worker and node through the database."""

from __future__ import annotations

from tessera.core.models import Timestamp
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
        # An upsert returns exactly its one row.
        (row,) = await self._conn.fetch_all(
            "INSERT INTO throttles (key, hits, window_started_at, blocked_until) "
            "VALUES (:key, 1, :now, 0) "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN throttles.window_started_at <= :window_start THEN 1 "
            "ELSE throttles.hits + 1 END, "
            "window_started_at = CASE WHEN throttles.window_started_at <= :window_start "
            "THEN :now ELSE throttles.window_started_at END "
            "RETURNING hits",
            {"key": key, "now": now, "window_start": now - window},
        )
        return int(row["hits"])

    async def block(self, key: str, until: Timestamp) -> None:
        await self._conn.execute(
            "UPDATE throttles SET blocked_until = :until "
            "WHERE key = :key AND blocked_until < :until",
            {"key": key, "until": until},
        )

    async def reset(self, key: str) -> None:
        await self._conn.execute("DELETE FROM throttles WHERE key = :key", {"key": key})
