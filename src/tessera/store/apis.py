"""APIs (resource servers): the audiences access tokens are minted for."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tessera.core.models import Api, ApiScope
from tessera.crypto.keys import Algorithm
from tessera.store.engine import Connection, Row
from tessera.store.pages import after_created as _after
from tessera.store.parsed import ParsedRows

_COLUMNS = "id, identifier, name, scopes, access_token_lifetime, signing_alg, created_at"


def _parse(row: Row) -> Api:
    return Api(
        id=row["id"],
        identifier=row["identifier"],
        name=row["name"],
        scopes=tuple(
            ApiScope(name=item["name"], description=item.get("description", ""))
            for item in json.loads(row["scopes"])
        ),
        access_token_lifetime=row["access_token_lifetime"],
        signing_alg=Algorithm(row["signing_alg"]),
        created_at=row["created_at"],
    )


_api = ParsedRows(_parse)


def _values(api: Api) -> dict[str, object]:
    return {
        "id": api.id,
        "identifier": api.identifier,
        "name": api.name,
        "scopes": json.dumps([{"name": s.name, "description": s.description} for s in api.scopes]),
        "access_token_lifetime": api.access_token_lifetime,
        "signing_alg": api.signing_alg.value,
        "created_at": api.created_at,
    }


class SQLApiRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get_by_identifier(self, identifier: str) -> Api | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM apis WHERE identifier = :identifier",
            {"identifier": identifier},
        )
        return None if row is None else _api(row)

    async def get(self, api_id: str) -> Api | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM apis WHERE id = :id", {"id": api_id}
        )
        return None if row is None else _api(row)

    async def page(self, after: tuple[int, str] | None, limit: int) -> Sequence[Api]:
        where, params = _after(after)
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM apis {where} ORDER BY created_at, id LIMIT :limit",
            {**params, "limit": limit},
        )
        return [_api(row) for row in rows]

    async def add(self, api: Api) -> None:
        await self._conn.execute(
            f"INSERT INTO apis ({_COLUMNS}) VALUES (:id, :identifier, :name, :scopes, "
            ":access_token_lifetime, :signing_alg, :created_at)",
            _values(api),
        )

    async def update(self, api: Api) -> bool:
        count = await self._conn.execute(
            "UPDATE apis SET name = :name, scopes = :scopes, "
            "access_token_lifetime = :access_token_lifetime, signing_alg = :signing_alg "
            "WHERE identifier = :identifier",
            _values(api),
        )
        return count > 0

    async def list(self) -> Sequence[Api]:
        rows = await self._conn.fetch_all(f"SELECT {_COLUMNS} FROM apis ORDER BY created_at, id")
        return [_api(row) for row in rows]

    async def delete(self, identifier: str) -> bool:
        count = await self._conn.execute(
            "DELETE FROM apis WHERE identifier = :identifier", {"identifier": identifier}
        )
        return count > 0
