"""Fixed-window counters with a block, and short leases, shared by every worker and node
through the database."""

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

    async def reset_matching(self, prefix: str, suffix: str) -> int:
        if any(wildcard in prefix + suffix for wildcard in "%_"):
            raise ValueError("a throttle key pattern holds no LIKE wildcard")
        return await self._conn.execute(
            "DELETE FROM throttles WHERE key LIKE :pattern", {"pattern": f"{prefix}%{suffix}"}
        )

    async def mark_refused(self, key: str, until: Timestamp) -> bool:
        changed = await self._conn.execute(
            "UPDATE throttles SET reported_until = :until "
            "WHERE key = :key AND reported_until < :until",
            {"key": key, "until": until},
        )
        return changed == 1

    async def refund(
        self, key: str, window_started_at: Timestamp, blocked_until: Timestamp
    ) -> None:
        await self._conn.execute(
            "UPDATE throttles SET hits = hits - 1, "
            "blocked_until = CASE WHEN :blocked > 0 AND blocked_until = :blocked THEN 0 "
            "ELSE blocked_until END "
            "WHERE key = :key AND window_started_at = :started AND hits > 0",
            {"key": key, "started": window_started_at, "blocked": blocked_until},
        )

    async def lease(self, key: str, now: Timestamp, until: Timestamp) -> bool:
        # One statement: of concurrent callers on any node exactly one gets the row back.
        taken = await self._conn.fetch_one(
            "INSERT INTO throttles (key, hits, window_started_at, blocked_until) "
            "VALUES (:key, 1, :now, :until) "
            "ON CONFLICT (key) DO UPDATE SET hits = 1, window_started_at = :now, "
            "blocked_until = :until, reported_until = 0 "
            "WHERE throttles.blocked_until <= :now "
            "RETURNING key",
            {"key": key, "now": now, "until": until},
        )
        return taken is not None

    async def release(self, key: str, until: Timestamp) -> None:
        await self._conn.execute(
            "DELETE FROM throttles WHERE key = :key AND blocked_until = :until",
            {"key": key, "until": until},
        )
