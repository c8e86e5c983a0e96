"""Clients (RFC 6749 2, RFC 7591 metadata), their API access and their web origins.

A client is read with its `client_api_access` rows in one statement (a LEFT JOIN: one
row per access, or one row with NULLs), so a lookup stays one round trip and the
cached client (store.lookups) always carries the access it was read with. The origins
a client allows (core.web_origins.allowed_origins) are written beside it into
`client_web_origins` whenever it is written, for the CORS preflight's indexed lookup.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from enum import StrEnum
from itertools import groupby

from tessera.core.models import AuthMethod, Client, GrantType
from tessera.core.web_origins import allowed_origins
from tessera.crypto.keys import Algorithm
from tessera.store.engine import Connection, Row
from tessera.store.errors import UnknownAPIError
from tessera.store.parsed import ParsedRows

_COLUMNS = (
    "client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, "
    "auth_method, auth_method_pinned, first_party, allowed_scopes, id_token_alg, "
    "refresh_grace_seconds, created_at, web_origins, refresh_sliding_seconds, "
    "refresh_absolute_seconds, previous_secret_hash, previous_secret_expires_at"
)
# What an update writes: every column but the id and the creation time.
_MUTABLE = [name for name in _COLUMNS.split(", ") if name not in ("client_id", "created_at")]
_QUALIFIED = ", ".join(f"c.{name}" for name in _COLUMNS.split(", "))
_SELECT = (
    f"SELECT {_QUALIFIED}, a.audience AS access_audience, a.kind AS access_kind "
    "FROM clients c LEFT JOIN client_api_access a ON a.client_id = c.client_id"
)
_ORDER = "ORDER BY c.created_at, c.client_id, a.kind, a.audience"


class AccessKind(StrEnum):
    """`client_api_access.kind`: what the client may do with the API."""

    CLIENT_CREDENTIALS = "client_credentials"
    RESOURCE_SERVER = "resource_server"


def _parse(rows: Sequence[Row]) -> Client:
    """One client from its rows (all with the same client columns)."""
    row = rows[0]
    access: dict[str, set[str]] = {kind: set() for kind in AccessKind}
    for each in rows:
        if each["access_kind"] is not None:
            access[each["access_kind"]].add(each["access_audience"])
    allowed = row["allowed_scopes"]
    origins = row["web_origins"]
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        secret_hash=row["secret_hash"],
        redirect_uris=tuple(json.loads(row["redirect_uris"])),
        post_logout_redirect_uris=tuple(json.loads(row["post_logout_redirect_uris"])),
        grant_types=frozenset(GrantType(value) for value in row["grant_types"].split()),
        auth_method=AuthMethod(row["auth_method"]),
        auth_method_pinned=bool(row["auth_method_pinned"]),
        first_party=bool(row["first_party"]),
        allowed_scopes=None if allowed is None else frozenset(allowed.split()),
        id_token_alg=Algorithm(row["id_token_alg"]),
        refresh_grace_seconds=row["refresh_grace_seconds"],
        created_at=row["created_at"],
        apis=frozenset(access[AccessKind.CLIENT_CREDENTIALS]),
        resource_server_for=frozenset(access[AccessKind.RESOURCE_SERVER]),
        web_origins=None if origins is None else tuple(json.loads(origins)),
        refresh_sliding_lifetime=row["refresh_sliding_seconds"],
        refresh_absolute_lifetime=row["refresh_absolute_seconds"],
        previous_secret_hash=row["previous_secret_hash"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
    )


def _row_values(client: Client) -> dict[str, object]:
    """The client's columns, as stored."""
    origins = client.web_origins
    allowed = client.allowed_scopes
    return {
        "client_id": client.client_id,
        "name": client.name,
        "secret_hash": client.secret_hash,
        "redirect_uris": json.dumps(list(client.redirect_uris)),
        "post_logout_redirect_uris": json.dumps(list(client.post_logout_redirect_uris)),
        "grant_types": " ".join(sorted(client.grant_types)),
        "auth_method": client.auth_method.value,
        "auth_method_pinned": client.auth_method_pinned,
        "first_party": client.first_party,
        "allowed_scopes": None if allowed is None else " ".join(sorted(allowed)),
        "id_token_alg": client.id_token_alg.value,
        "refresh_grace_seconds": client.refresh_grace_seconds,
        "created_at": client.created_at,
        "web_origins": None if origins is None else json.dumps(list(origins)),
        "refresh_sliding_seconds": client.refresh_sliding_lifetime,
        "refresh_absolute_seconds": client.refresh_absolute_lifetime,
        "previous_secret_hash": client.previous_secret_hash,
        "previous_secret_expires_at": client.previous_secret_expires_at,
    }


def _values(rows: Sequence[Row]) -> Hashable:
    return tuple(tuple(row) for row in rows)


_client = ParsedRows(_parse, key=_values)


def _clients(rows: Sequence[Row]) -> list[Client]:
    """Clients from their rows, in the rows' order (sorted by client)."""
    return [_client(list(group)) for _, group in groupby(rows, lambda row: row["client_id"])]


class SQLClientRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, client_id: str) -> Client | None:
        rows = await self._conn.fetch_all(
            f"{_SELECT} WHERE c.client_id = :client_id {_ORDER}", {"client_id": client_id}
        )
        return _client(rows) if rows else None

    async def add(self, client: Client) -> None:
        placeholders = ", ".join(f":{name}" for name in _COLUMNS.split(", "))
        await self._conn.execute(
            f"INSERT INTO clients ({_COLUMNS}) VALUES ({placeholders})", _row_values(client)
        )
        await self._add_access_rows(client)

    async def _add_access_rows(self, client: Client) -> None:
        """The client's origins and API access, beside its row."""
        await self._add_origins(client)
        for kind, audiences in (
            (AccessKind.CLIENT_CREDENTIALS, client.apis),
            (AccessKind.RESOURCE_SERVER, client.resource_server_for),
        ):
            for audience in sorted(audiences):
                await self._add_access(client.client_id, kind, audience)

    async def _add_access(self, client_id: str, kind: AccessKind, audience: str) -> None:
        """One access row, written only if the API exists (one statement, no race)."""
        added = await self._conn.execute(
            "INSERT INTO client_api_access (client_id, audience, kind) "
            "SELECT :client_id, identifier, :kind FROM apis WHERE identifier = :audience",
            {"client_id": client_id, "audience": audience, "kind": kind.value},
        )
        if not added:
            raise UnknownAPIError(audience)

    async def update(self, client: Client) -> bool:
        assignments = ", ".join(f"{name} = :{name}" for name in _MUTABLE)
        count = await self._conn.execute(
            f"UPDATE clients SET {assignments} WHERE client_id = :client_id", _row_values(client)
        )
        if not count:
            return False
        for table in ("client_web_origins", "client_api_access"):
            await self._conn.execute(
                f"DELETE FROM {table} WHERE client_id = :client_id",
                {"client_id": client.client_id},
            )
        await self._add_access_rows(client)
        return True

    async def _add_origins(self, client: Client) -> None:
        for origin in allowed_origins(client):
            await self._conn.execute(
                "INSERT INTO client_web_origins (origin, client_id) VALUES (:origin, :client_id)",
                {"origin": origin, "client_id": client.client_id},
            )

    async def is_allowed_anywhere(self, origin: str) -> bool:
        row = await self._conn.fetch_one(
            "SELECT 1 FROM client_web_origins WHERE origin = :origin LIMIT 1", {"origin": origin}
        )
        return row is not None

    async def list(self) -> Sequence[Client]:
        rows = await self._conn.fetch_all(f"{_SELECT} {_ORDER}")
        return _clients(rows)

    async def page(self, after: tuple[int, str] | None, limit: int) -> Sequence[Client]:
        # The page is chosen on `clients` alone (a client has several joined rows), by
        # its (created_at, client_id) key.
        chosen = "SELECT client_id FROM clients"
        params: dict[str, object] = {"limit": limit}
        if after is not None:
            chosen += " WHERE created_at > :at OR (created_at = :at AND client_id > :after_id)"
            params.update(at=after[0], after_id=after[1])
        chosen += " ORDER BY created_at, client_id LIMIT :limit"
        rows = await self._conn.fetch_all(
            f"{_SELECT} WHERE c.client_id IN ({chosen}) {_ORDER}", params
        )
        return _clients(rows)

    async def delete(self, client_id: str) -> bool:
        count = await self._conn.execute(
            "DELETE FROM clients WHERE client_id = :client_id", {"client_id": client_id}
        )
        return count > 0
