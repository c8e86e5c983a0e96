"""Signing keys, stored sealed (crypto.keys), and the conditional statements that move
them through their states (core.key_rotation): whichever node runs one first changes
the row; every other node's statement then matches nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tessera.core.models import KeyState, KeySwitch, StoredKey, Timestamp
from tessera.crypto.keys import Algorithm
from tessera.store.engine import Connection, Row

_COLUMNS = (
    "kid, alg, sealed_private_key, public_jwk, state, created_at, activates_at, retires_at, "
    "retired_at"
)


def _key(row: Row) -> StoredKey:
    return StoredKey(
        kid=row["kid"],
        alg=Algorithm(row["alg"]),
        sealed_private_key=bytes(row["sealed_private_key"]),
        public_jwk=json.loads(row["public_jwk"]),
        state=KeyState(row["state"]),
        created_at=row["created_at"],
        activates_at=row["activates_at"],
        retires_at=row["retires_at"],
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

    async def add(self, key: StoredKey) -> bool:
        # The unique partial indexes (one current, one next per algorithm) make a second
        # node's insert a no-op instead of an error that would abort its transaction.
        row = await self._conn.fetch_one(
            f"INSERT INTO signing_keys ({_COLUMNS}) VALUES "
            "(:kid, :alg, :sealed, :public_jwk, :state, :created_at, :activates_at, "
            ":retires_at, NULL) ON CONFLICT DO NOTHING RETURNING kid",
            {
                "kid": key.kid,
                "alg": key.alg.value,
                "sealed": key.sealed_private_key,
                "public_jwk": json.dumps(key.public_jwk),
                "state": key.state.value,
                "created_at": key.created_at,
                "activates_at": key.activates_at,
                "retires_at": key.retires_at,
            },
        )
        return row is not None

    async def activate_due(
        self, alg: Algorithm, now: Timestamp, retires_at: Timestamp
    ) -> KeySwitch | None:
        params = {"alg": alg.value, "now": now, "retires_at": retires_at}
        # The current key steps down first: the unique index allows one current key.
        replaced = await self._conn.fetch_one(
            "UPDATE signing_keys SET state = 'published', retires_at = :retires_at "
            "WHERE alg = :alg AND state = 'current' AND EXISTS (SELECT 1 FROM signing_keys "
            "WHERE alg = :alg AND state = 'next' AND activates_at <= :now) "
            f"RETURNING {_COLUMNS}",
            params,
        )
        activated = await self._conn.fetch_one(
            "UPDATE signing_keys SET state = 'current' "
            "WHERE alg = :alg AND state = 'next' AND activates_at <= :now "
            f"RETURNING {_COLUMNS}",
            params,
        )
        if activated is None:
            return None
        return KeySwitch(
            activated=_key(activated), replaced=None if replaced is None else _key(replaced)
        )

    async def stop_signing(self, alg: Algorithm, retires_at: Timestamp) -> StoredKey | None:
        row = await self._conn.fetch_one(
            "UPDATE signing_keys SET state = 'published', retires_at = :retires_at "
            f"WHERE alg = :alg AND state = 'current' RETURNING {_COLUMNS}",
            {"alg": alg.value, "retires_at": retires_at},
        )
        return None if row is None else _key(row)

    async def date_retirements(self, retires_at: Timestamp) -> int:
        return await self._conn.execute(
            "UPDATE signing_keys SET retires_at = :retires_at "
            "WHERE state = 'published' AND retires_at IS NULL",
            {"retires_at": retires_at},
        )

    async def retire_due(self, now: Timestamp) -> Sequence[StoredKey]:
        rows = await self._conn.fetch_all(
            "UPDATE signing_keys SET state = 'retired', retired_at = :now "
            f"WHERE state = 'published' AND retires_at <= :now RETURNING {_COLUMNS}",
            {"now": now},
        )
        return [_key(row) for row in rows]

    async def retire(self, kid: str, now: Timestamp) -> StoredKey | None:
        row = await self._conn.fetch_one(
            "UPDATE signing_keys SET state = 'retired', retired_at = :now "
            f"WHERE kid = :kid AND state IN ('published', 'next') RETURNING {_COLUMNS}",
            {"kid": kid, "now": now},
        )
        return None if row is None else _key(row)
