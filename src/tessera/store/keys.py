"""Signing keys, stored sealed (crypto.keys)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tessera.core.models import KeyState, StoredKey, Timestamp
from tessera.crypto.keys import Algorithm
from tessera.store.engine import Connection, Row

_COLUMNS = "kid, alg, sealed_private_key, public_jwk, state, created_at, retired_at"


def _key(row: Row) -> StoredKey:
    return StoredKey(
        kid=row["kid"],
        alg=Algorithm(row["alg"]),
        sealed_private_key=bytes(row["sealed_private_key"]),
        public_jwk=json.loads(row["public_jwk"]),
        state=KeyState(row["state"]),
        created_at=row["created_at"],
        retired_at=row["retired_at"],
    )


class SQLKeyRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def list(self, *, include_retired: bool = False) -> Sequence[StoredKey]:
        where = "" if include_retired else "WHERE state <> 'retired'"
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM signing_keys {where} ORDER BY created_at DESC, kid"
        )
        return [_key(row) for row in rows]

    async def add(self, key: StoredKey) -> None:
        if key.state is KeyState.CURRENT:
            await self._conn.execute(
                "UPDATE signing_keys SET state = 'published' "
                "WHERE alg = :alg AND state = 'current'",
                {"alg": key.alg.value},
            )
        await self._conn.execute(
            f"INSERT INTO signing_keys ({_COLUMNS}) VALUES "
            "(:kid, :alg, :sealed, :public_jwk, :state, :created_at, NULL)",
            {
                "kid": key.kid,
                "alg": key.alg.value,
                "sealed": key.sealed_private_key,
                "public_jwk": json.dumps(key.public_jwk),
                "state": key.state.value,
                "created_at": key.created_at,
            },
        )

    async def retire(self, kid: str, now: Timestamp) -> StoredKey | None:
        row = await self._conn.fetch_one(
            "UPDATE signing_keys SET state = 'retired', retired_at = :now "
            f"WHERE kid = :kid AND state = 'published' RETURNING {_COLUMNS}",
            {"kid": kid, "now": now},
        )
        return None if row is None else _key(row)
