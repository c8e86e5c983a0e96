"""The access-token revocation list (RFC 7009), read by introspection and userinfo."""

from __future__ import annotations

from tessera.core.models import Timestamp
from tessera.store.engine import Connection


class SQLAccessTokenRevocationRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def revoke(self, jti: str, expires_at: Timestamp) -> None:
        await self._conn.execute(
            "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (:jti, :expires_at) "
            "ON CONFLICT (jti) DO NOTHING",
            {"jti": jti, "expires_at": expires_at},
        )

    async def is_revoked(self, jti: str) -> bool:
        row = await self._conn.fetch_one(
            "SELECT 1 FROM revoked_access_tokens WHERE jti = :jti", {"jti": jti}
        )
        return row is not None
