"""Remembered consent per user, client and audience."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.core.models import Consent
from tessera.store.engine import Connection


class SQLConsentRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, user_id: str, client_id: str, audience: str) -> Consent | None:
        row = await self._conn.fetch_one(
            "SELECT scope, updated_at FROM consents "
            "WHERE user_id = :user_id AND client_id = :client_id AND audience = :audience",
            {"user_id": user_id, "client_id": client_id, "audience": audience},
        )
        if row is None:
            return None
        return Consent(
            user_id=user_id,
            client_id=client_id,
            audience=audience,
            scope=frozenset(row["scope"].split()),
            updated_at=row["updated_at"],
        )

    async def grant(self, consent: Consent) -> None:
        existing = await self.get(consent.user_id, consent.client_id, consent.audience)
        scope = consent.scope | (existing.scope if existing else frozenset())
        await self._conn.execute(
            "INSERT INTO consents (user_id, client_id, audience, scope, updated_at) "
            "VALUES (:user_id, :client_id, :audience, :scope, :updated_at) "
            "ON CONFLICT (user_id, client_id, audience) "
            "DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
            {
                "user_id": consent.user_id,
                "client_id": consent.client_id,
                "audience": consent.audience,
                "scope": " ".join(sorted(scope)),
                "updated_at": consent.updated_at,
            },
        )

    async def delete_for_audience(self, audience: str) -> int:
        return await self._conn.execute(
            "DELETE FROM consents WHERE audience = :audience", {"audience": audience}
        )

    async def list_for_user(self, user_id: str) -> Sequence[Consent]:
        rows = await self._conn.fetch_all(
            "SELECT client_id, audience, scope, updated_at FROM consents "
            "WHERE user_id = :user_id ORDER BY client_id, audience",
            {"user_id": user_id},
        )
        return [
            Consent(
                user_id=user_id,
                client_id=row["client_id"],
                audience=row["audience"],
                scope=frozenset(row["scope"].split()),
                updated_at=row["updated_at"],
            )
            for row in rows
        ]

    async def delete_for_client(self, user_id: str, client_id: str) -> int:
        return await self._conn.execute(
            "DELETE FROM consents WHERE user_id = :user_id AND client_id = :client_id",
            {"user_id": user_id, "client_id": client_id},
        )
