"""Second factors and recovery codes. A TOTP step and a recovery code are each spent by
one conditional UPDATE, so two parallel requests cannot both use the same one."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.core.models import Factor, FactorKind, Timestamp
from tessera.store.engine import Connection, Row

_COLUMNS = "id, user_id, kind, secret, name, created_at, last_used_step, confirmed_at"


def _factor(row: Row) -> Factor:
    return Factor(
        id=row["id"],
        user_id=row["user_id"],
        kind=FactorKind(row["kind"]),
        secret=bytes(row["secret"]),
        name=row["name"],
        created_at=row["created_at"],
        last_used_step=row["last_used_step"],
        confirmed_at=row["confirmed_at"],
    )


class SQLFactorRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, factor: Factor) -> None:
        await self._conn.execute(
            f"INSERT INTO user_factors ({_COLUMNS}) VALUES (:id, :user_id, :kind, :secret, "
            ":name, :created_at, :last_used_step, :confirmed_at)",
            {
                "id": factor.id,
                "user_id": factor.user_id,
                "kind": factor.kind.value,
                "secret": factor.secret,
                "name": factor.name,
                "created_at": factor.created_at,
                "last_used_step": factor.last_used_step,
                "confirmed_at": factor.confirmed_at,
            },
        )

    async def list_for_user(self, user_id: str) -> Sequence[Factor]:
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM user_factors WHERE user_id = :user_id ORDER BY created_at, id",
            {"user_id": user_id},
        )
        return [_factor(row) for row in rows]

    async def use_step(self, factor_id: str, step: int) -> bool:
        count = await self._conn.execute(
            "UPDATE user_factors SET last_used_step = :step WHERE id = :id "
            "AND (last_used_step IS NULL OR last_used_step < :step)",
            {"id": factor_id, "step": step},
        )
        return count > 0

    async def confirm(self, factor_id: str, step: int, now: Timestamp) -> bool:
        count = await self._conn.execute(
            "UPDATE user_factors SET confirmed_at = :now, last_used_step = :step "
            "WHERE id = :id AND confirmed_at IS NULL",
            {"id": factor_id, "step": step, "now": now},
        )
        return count > 0

    async def delete_unconfirmed(self, user_id: str) -> int:
        return await self._conn.execute(
            "DELETE FROM user_factors WHERE user_id = :user_id AND confirmed_at IS NULL",
            {"user_id": user_id},
        )

    async def delete_for_user(self, user_id: str) -> int:
        await self._conn.execute(
            "DELETE FROM recovery_codes WHERE user_id = :user_id", {"user_id": user_id}
        )
        return await self._conn.execute(
            "DELETE FROM user_factors WHERE user_id = :user_id", {"user_id": user_id}
        )

    async def replace_recovery_codes(
        self, user_id: str, digests: Sequence[bytes], now: Timestamp
    ) -> None:
        await self._conn.execute(
            "DELETE FROM recovery_codes WHERE user_id = :user_id", {"user_id": user_id}
        )
        for code_digest in digests:
            await self._conn.execute(
                "INSERT INTO recovery_codes (digest, user_id, created_at) "
                "VALUES (:digest, :user_id, :now)",
                {"digest": code_digest, "user_id": user_id, "now": now},
            )

    async def use_recovery_code(self, user_id: str, code_digest: bytes, now: Timestamp) -> bool:
        count = await self._conn.execute(
            "UPDATE recovery_codes SET used_at = :now "
            "WHERE user_id = :user_id AND digest = :digest AND used_at IS NULL",
            {"user_id": user_id, "digest": code_digest, "now": now},
        )
        return count > 0

    async def count_recovery_codes(self, user_id: str) -> int:
        row = await self._conn.fetch_one(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = :user_id AND used_at IS NULL",
            {"user_id": user_id},
        )
        return int(row["n"]) if row else 0
