"""Authorization requests parked while the user signs in or consents."""

from __future__ import annotations

from tessera.core.models import Timestamp
from tessera.store.engine import Connection


class SQLInteractionRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(
        self, id_hash: bytes, payload: str, created_at: Timestamp, expires_at: Timestamp
    ) -> None:
        await self._conn.execute(
            "INSERT INTO interactions (id_hash, payload, created_at, expires_at) "
            "VALUES (:id_hash, :payload, :created_at, :expires_at)",
            {
                "id_hash": id_hash,
                "payload": payload,
                "created_at": created_at,
                "expires_at": expires_at,
            },
        )

    async def get(self, id_hash: bytes, now: Timestamp) -> str | None:
        row = await self._conn.fetch_one(
            "SELECT payload FROM interactions WHERE id_hash = :id_hash AND expires_at > :now",
            {"id_hash": id_hash, "now": now},
        )
        return None if row is None else str(row["payload"])

    async def update(self, id_hash: bytes, payload: str) -> bool:
        updated = await self._conn.execute(
            "UPDATE interactions SET payload = :payload WHERE id_hash = :id_hash",
            {"id_hash": id_hash, "payload": payload},
        )
        return updated > 0

    async def delete(self, id_hash: bytes) -> bool:
        deleted = await self._conn.execute(
            "DELETE FROM interactions WHERE id_hash = :id_hash", {"id_hash": id_hash}
        )
        return deleted > 0
