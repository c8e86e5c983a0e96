"""Clients (RFC 6749 2, RFC 7591 metadata)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tessera.core.models import AuthMethod, Client, GrantType
from tessera.crypto.keys import Algorithm
from tessera.store.engine import Connection, Row
from tessera.store.lookups import VersionedCache, cached_lookup
from tessera.store.parsed import ParsedRows

_COLUMNS = (
    "client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, "
    "auth_method, first_party, allowed_scopes, id_token_alg, refresh_grace_seconds, created_at"
)


def _parse(row: Row) -> Client:
    allowed = row["allowed_scopes"]
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        secret_hash=row["secret_hash"],
        redirect_uris=tuple(json.loads(row["redirect_uris"])),
        post_logout_redirect_uris=tuple(json.loads(row["post_logout_redirect_uris"])),
        grant_types=frozenset(GrantType(value) for value in row["grant_types"].split()),
        auth_method=AuthMethod(row["auth_method"]),
        first_party=bool(row["first_party"]),
        allowed_scopes=None if allowed is None else frozenset(allowed.split()),
        id_token_alg=Algorithm(row["id_token_alg"]),
        refresh_grace_seconds=row["refresh_grace_seconds"],
        created_at=row["created_at"],
    )


_client = ParsedRows(_parse)
_by_id: VersionedCache[Client] = VersionedCache()


class SQLClientRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, client_id: str) -> Client | None:
        return await cached_lookup(self._conn, _by_id, client_id, lambda: self._load(client_id))

    async def _load(self, client_id: str) -> Client | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM clients WHERE client_id = :client_id",
            {"client_id": client_id},
        )
        return None if row is None else _client(row)

    async def add(self, client: Client) -> None:
        self._conn.catalog_changed()
        await self._conn.execute(
            f"INSERT INTO clients ({_COLUMNS}) VALUES (:client_id, :name, :secret_hash, "
            ":redirect_uris, :post_logout_redirect_uris, :grant_types, :auth_method, "
            ":first_party, :allowed_scopes, :id_token_alg, :refresh_grace_seconds, :created_at)",
            {
                "client_id": client.client_id,
                "name": client.name,
                "secret_hash": client.secret_hash,
                "redirect_uris": json.dumps(list(client.redirect_uris)),
                "post_logout_redirect_uris": json.dumps(list(client.post_logout_redirect_uris)),
                "grant_types": " ".join(sorted(client.grant_types)),
                "auth_method": client.auth_method.value,
                "first_party": client.first_party,
                "allowed_scopes": None
                if client.allowed_scopes is None
                else " ".join(sorted(client.allowed_scopes)),
                "id_token_alg": client.id_token_alg.value,
                "refresh_grace_seconds": client.refresh_grace_seconds,
                "created_at": client.created_at,
            },
        )

    async def list(self) -> Sequence[Client]:
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM clients ORDER BY created_at, client_id"
        )
        return [_client(row) for row in rows]

    async def delete(self, client_id: str) -> bool:
        self._conn.catalog_changed()
        count = await self._conn.execute(
            "DELETE FROM clients WHERE client_id = :client_id", {"client_id": client_id}
        )
        return count > 0
