"""Refresh tokens: rotated on every use, grouped by grant (the family)."""

from __future__ import annotations

from tessera.core.models import RefreshToken, Timestamp
from tessera.core.ports import (
    ForeignRefreshTokenError,
    RefreshReusedError,
    UnknownRefreshTokenError,
)
from tessera.store.engine import Connection, Row

_NAMES = ("token_hash", "grant_id", "scope", "created_at", "expires_at", "rotated_at")
_COLUMNS = ", ".join(_NAMES)
_QUALIFIED = ", ".join(f"refresh_tokens.{name}" for name in _NAMES)


def _token(row: Row) -> RefreshToken:
    return RefreshToken(
        token_hash=bytes(row["token_hash"]),
        grant_id=row["grant_id"],
        scope=frozenset(row["scope"].split()),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        rotated_at=row["rotated_at"],
    )


class SQLRefreshTokenRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        await self._conn.execute(
            f"INSERT INTO refresh_tokens ({_COLUMNS}) VALUES "
            "(:token_hash, :grant_id, :scope, :created_at, :expires_at, NULL)",
            {
                "token_hash": token.token_hash,
                "grant_id": token.grant_id,
                "scope": " ".join(sorted(token.scope)),
                "created_at": token.created_at,
                "expires_at": token.expires_at,
            },
        )

    async def get(self, token_hash: bytes) -> RefreshToken | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM refresh_tokens WHERE token_hash = :token_hash",
            {"token_hash": token_hash},
        )
        return None if row is None else _token(row)

    async def rotate(self, token_hash: bytes, client_id: str, now: Timestamp) -> RefreshToken:
        # A scalar subquery: both engines look the grant up by its key (an EXISTS may be
        # planned as a scan of the client's grants).
        row = await self._conn.fetch_one(
            "UPDATE refresh_tokens SET rotated_at = :now WHERE token_hash = :token_hash "
            "AND rotated_at IS NULL AND expires_at > :now AND (SELECT client_id FROM grants "
            "WHERE grants.id = refresh_tokens.grant_id) = :client_id "
            f"RETURNING {_COLUMNS}",
            {"token_hash": token_hash, "client_id": client_id, "now": now},
        )
        if row is not None:
            return _token(row)
        # Nothing changed: read why, for the caller to answer (and audit).
        found = await self._conn.fetch_one(
            f"SELECT {_QUALIFIED}, grants.client_id AS owner FROM refresh_tokens "
            "JOIN grants ON grants.id = refresh_tokens.grant_id "
            "WHERE refresh_tokens.token_hash = :token_hash",
            {"token_hash": token_hash},
        )
        if found is None:
            raise UnknownRefreshTokenError
        token = _token(found)
        if found["owner"] != client_id:
            raise ForeignRefreshTokenError(token, found["owner"])
        if token.rotated_at is not None:
            raise RefreshReusedError(token)
        raise UnknownRefreshTokenError

    async def revoke_unrotated(self, grant_id: str, now: Timestamp) -> None:
        await self._conn.execute(
            "UPDATE refresh_tokens SET rotated_at = :now "
            "WHERE grant_id = :grant_id AND rotated_at IS NULL",
            {"grant_id": grant_id, "now": now},
        )
