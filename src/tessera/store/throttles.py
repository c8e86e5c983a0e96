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

    async def hit(
        self, key: str, now: Timestamp, window: int, limit: int, block_for: int
    ) -> Timestamp:
        # One statement: a new window restarts the count, an over-limit count blocks.
        row = await self._conn.fetch_one(
            "INSERT INTO throttles (key, hits, window_started_at, blocked_until) "
            "VALUES (:key, 1, :now, CASE WHEN 1 > :limit THEN :until ELSE 0 END) "
            "ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN throttles.window_started_at <= :window_start THEN 1 "
            "ELSE throttles.hits + 1 END, "
            "window_started_at = CASE WHEN throttles.window_started_at <= :window_start "
            "THEN :now ELSE throttles.window_started_at END, "
            "blocked_until = CASE WHEN throttles.window_started_at > :window_start "
            "AND throttles.hits + 1 > :limit THEN :until ELSE throttles.blocked_until END "
            "RETURNING blocked_until",
            {
                "key": key,
                "now": now,
                "limit": limit,
                "until": now + block_for,
                "window_start": now - window,
            },
        )
        return 0 if row is None else int(row["blocked_until"])

    async def reset(self, key: str) -> None:
        await self._conn.execute("DELETE FROM throttles WHERE key = :key", {"key": key})
