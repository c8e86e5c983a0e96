"""Grants: one authorization by a user for a client; the code is its one-time handle."""

from __future__ import annotations

from tessera.core.models import Grant, Timestamp
from tessera.core.ports import CodeReusedError, UnknownCodeError
from tessera.store.engine import Connection, Row
from tessera.store.methods import amr_column, parse_amr

_COLUMNS = (
    "id, client_id, user_id, session_id, redirect_uri, scope, audience, code_challenge, "
    "nonce, auth_time, created_at, code_expires_at, expires_at, redeemed_at, revoked_at, amr"
)


def _grant(row: Row) -> Grant:
    return Grant(
        id=row["id"],
        client_id=row["client_id"],
        user_id=row["user_id"],
        session_id=row["session_id"],
        redirect_uri=row["redirect_uri"],
        scope=frozenset(row["scope"].split()),
        audience=row["audience"],
        code_challenge=row["code_challenge"],
        nonce=row["nonce"],
        auth_time=row["auth_time"],
        created_at=row["created_at"],
        code_expires_at=row["code_expires_at"],
        expires_at=row["expires_at"],
        redeemed_at=row["redeemed_at"],
        revoked_at=row["revoked_at"],
        amr=parse_amr(row["amr"]),
    )


class SQLGrantRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, grant: Grant, code_hash: bytes) -> None:
        await self._conn.execute(
            f"INSERT INTO grants ({_COLUMNS}, code_hash) VALUES (:id, :client_id, :user_id, "
            ":session_id, :redirect_uri, :scope, :audience, :code_challenge, :nonce, "
            ":auth_time, :created_at, :code_expires_at, :expires_at, NULL, NULL, :amr, :code_hash)",
            {
                "id": grant.id,
                "client_id": grant.client_id,
                "user_id": grant.user_id,
                "session_id": grant.session_id,
                "redirect_uri": grant.redirect_uri,
                "scope": " ".join(sorted(grant.scope)),
                "audience": grant.audience,
                "code_challenge": grant.code_challenge,
                "nonce": grant.nonce,
                "auth_time": grant.auth_time,
                "created_at": grant.created_at,
                "code_expires_at": grant.code_expires_at,
                "expires_at": grant.expires_at,
                "amr": amr_column(grant.amr),
                "code_hash": code_hash,
            },
        )

    async def consume_code(self, code_hash: bytes, now: Timestamp) -> Grant:
        row = await self._conn.fetch_one(
            "UPDATE grants SET redeemed_at = :now WHERE code_hash = :code_hash "
            "AND redeemed_at IS NULL AND revoked_at IS NULL AND code_expires_at > :now "
            f"RETURNING {_COLUMNS}",
            {"code_hash": code_hash, "now": now},
        )
        if row is not None:
            return _grant(row)
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM grants WHERE code_hash = :code_hash",
            {"code_hash": code_hash},
        )
        if row is not None and (row["redeemed_at"] is not None or row["revoked_at"] is not None):
            raise CodeReusedError(_grant(row))
        raise UnknownCodeError

    async def get(self, grant_id: str) -> Grant | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM grants WHERE id = :id", {"id": grant_id}
        )
        return None if row is None else _grant(row)

    async def revoke(self, grant_id: str, now: Timestamp) -> None:
        await self._conn.execute(
            "UPDATE grants SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
            {"id": grant_id, "now": now},
        )

    async def revoke_for_user(
        self, user_id: str, now: Timestamp, *, client_id: str | None = None
    ) -> int:
        only_client = "" if client_id is None else " AND client_id = :client_id"
        return await self._conn.execute(
            "UPDATE grants SET revoked_at = :now "
            f"WHERE user_id = :user_id AND revoked_at IS NULL{only_client}",
            {"user_id": user_id, "now": now, "client_id": client_id},
        )

    async def revoke_for_audience(self, audience: str, now: Timestamp) -> int:
        return await self._conn.execute(
            "UPDATE grants SET revoked_at = :now WHERE audience = :audience AND revoked_at IS NULL",
            {"audience": audience, "now": now},
        )
