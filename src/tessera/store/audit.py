"""The audit log: append-only structured events."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tessera.core.audit_events import Event
from tessera.core.models import AuditEvent, Timestamp
from tessera.store.engine import Connection


@dataclass(frozen=True, slots=True)
class Recorded:
    """An audit event as a listener sees it once its transaction has committed."""

    event: Event
    client_id: str | None
    detail: dict[str, str] = field(default_factory=dict)


AuditListener = Callable[[Recorded], None]


class SQLAuditRepo:
    """Writes audit events, and keeps what it wrote in `recorded` for the store to hand
    to its listeners if the transaction commits (`Store.audit_listeners`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.recorded: list[Recorded] = []

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
        self.recorded.append(Recorded(event, client_id, detail or {}))

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
