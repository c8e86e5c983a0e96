"""The audit log: append-only structured events."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tessera.core.audit_events import Event
from tessera.core.models import AuditEvent, Timestamp
from tessera.store.engine import Connection


class SQLAuditRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(
        self,
        event: Event,
        now: Timestamp,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        ip: str | None = None,
        detail: dict[str, str] | None = None,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO audit_events (at, event, user_id, client_id, ip, detail) "
            "VALUES (:at, :event, :user_id, :client_id, :ip, :detail)",
            {
                "at": now,
                "event": event,
                "user_id": user_id,
                "client_id": client_id,
                "ip": ip,
                "detail": json.dumps(detail or {}, sort_keys=True),
            },
        )

    async def tail(self, limit: int) -> Sequence[AuditEvent]:
        rows = await self._conn.fetch_all(
            "SELECT id, at, event, user_id, client_id, ip, detail FROM audit_events "
            "ORDER BY id DESC LIMIT :limit",
            {"limit": limit},
        )
        return [
            AuditEvent(
                id=row["id"],
                at=row["at"],
                event=row["event"],
                user_id=row["user_id"],
                client_id=row["client_id"],
                ip=row["ip"],
                detail=json.loads(row["detail"]),
            )
            for row in reversed(rows)
        ]
