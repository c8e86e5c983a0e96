"""The audit log: append-only structured events."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tessera.core.audit_events import Event
from tessera.core.models import AuditEvent, AuditQuery, Timestamp
from tessera.store.engine import Connection, Row

_COLUMNS = "id, at, event, user_id, client_id, ip, detail"


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
            f"SELECT {_COLUMNS} FROM audit_events ORDER BY id DESC LIMIT :limit",
            {"limit": limit},
        )
        return [_event(row) for row in reversed(rows)]

    async def query(self, query: AuditQuery, after: int | None, limit: int) -> Sequence[AuditEvent]:
        conditions, params = _conditions(query)
        if after is not None:
            conditions.append("id > :after")
            params["after"] = after
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM audit_events {where} ORDER BY id LIMIT :limit",
            {**params, "limit": limit},
        )
        return [_event(row) for row in rows]


def _conditions(query: AuditQuery) -> tuple[list[str], dict[str, object]]:
    """The query's filters as SQL conditions on audit_events, and their parameters."""
    conditions = []
    params: dict[str, object] = {}
    for name, value, condition in (
        ("since", query.since, "at >= :since"),
        ("until", query.until, "at < :until"),
        ("event", query.event, "event = :event"),
        ("user_id", query.user_id, "user_id = :user_id"),
        ("client_id", query.client_id, "client_id = :client_id"),
    ):
        if value is not None:
            conditions.append(condition)
            params[name] = value
    return conditions, params


def _event(row: Row) -> AuditEvent:
    return AuditEvent(
        id=row["id"],
        at=row["at"],
        event=row["event"],
        user_id=row["user_id"],
        client_id=row["client_id"],
        ip=row["ip"],
        detail=json.loads(row["detail"]),
    )
