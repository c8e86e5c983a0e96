"""Browser sessions, looked up by the digest of the cookie value."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.core.models import Session, Timestamp
from tessera.store.engine import Connection, Row
from tessera.store.methods import amr_column, parse_amr

_COLUMNS = "sid, user_id, auth_time, created_at, expires_at, amr"


def _session(row: Row) -> Session:
    return Session(
        sid=row["sid"],
        user_id=row["user_id"],
        auth_time=row["auth_time"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        amr=parse_amr(row["amr"]),
    )


class SQLSessionRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, id_hash: bytes, session: Session) -> None:
        await self._conn.execute(
            f"INSERT INTO sessions (id_hash, {_COLUMNS}) VALUES "
            "(:id_hash, :sid, :user_id, :auth_time, :created_at, :expires_at, :amr)",
            {
                "id_hash": id_hash,
                "sid": session.sid,
                "user_id": session.user_id,
                "auth_time": session.auth_time,
                "created_at": session.created_at,
                "expires_at": session.expires_at,
                "amr": amr_column(session.amr),
            },
        )

    async def get(self, id_hash: bytes, now: Timestamp) -> Session | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM sessions WHERE id_hash = :id_hash AND expires_at > :now",
            {"id_hash": id_hash, "now": now},
        )
        return None if row is None else _session(row)

    async def delete(self, sid: str) -> None:
        await self._conn.execute("DELETE FROM sessions WHERE sid = :sid", {"sid": sid})

    async def delete_for_user(self, user_id: str) -> int:
        return await self._conn.execute(
            "DELETE FROM sessions WHERE user_id = :user_id", {"user_id": user_id}
        )

    async def list_for_user(self, user_id: str, now: Timestamp) -> Sequence[Session]:
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM sessions WHERE user_id = :user_id AND expires_at > :now "
            "ORDER BY created_at DESC, sid",
            {"user_id": user_id, "now": now},
        )
        return [_session(row) for row in rows]
