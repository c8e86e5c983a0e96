"""Clients and APIs kept in memory for as long as the database says nothing changed.

Every authorization and token request looks up its client and its API. Those rows
change a few times a year and are read hundreds of times a second, so a lookup skips
the SELECT when the database can prove cheaply that no transaction has changed them
since the value was cached: its `CatalogVersion` returns a value that differs after any
such change. On SQLite that is `PRAGMA data_version` (it moves when another connection,
such as the CLI or another worker, commits anything) plus the database's own committed
writes to clients and APIs (store.sqlite). PostgreSQL has no such cheap signal (another
node's change shows only in a query), so it has no catalog version and every lookup
queries.

`CachedClientRepo` and `CachedApiRepo` put the cache around the SQL repositories: their
writes tell the catalog version, so a transaction that writes clients or APIs reads
around the cache until it ends. The cached values belong to one database
(`CatalogCache`, made by `Store`), so two databases never share them.

A client is cached with its API access (store.clients reads both in one statement).
Deleting an API removes that access by cascade, and an API write moves the catalog
version like a client write, so no cached client outlives an API it could reach.

Only found rows are cached: a flood of unknown client ids must neither fill memory
nor hide a client created a moment later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, Protocol, TypeVar

from tessera.core.models import Api, Client
from tessera.store.apis import SQLApiRepo
from tessera.store.clients import SQLClientRepo
from tessera.store.engine import Connection

T = TypeVar("T")
DEFAULT_SIZE = 1024


class CatalogVersion(Protocol):
    """What a database can tell cheaply about changes to clients and APIs."""

    def current(self) -> Hashable | None:
        """A value that stays equal for as long as no transaction has changed clients or
        APIs; None while the current transaction has changed them (nothing it reads may
        be cached)."""

    def changed(self) -> None:
        """The current transaction writes clients or APIs."""


class VersionedCache(Generic[T]):
    """Values by key, all valid for one catalog version; another version empties it.

    Bounded: emptied when full, like `parsed.ParsedRows`.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._version: Hashable | None = None
        self._values: dict[str, T] = {}

    def get(self, version: Hashable, key: str) -> T | None:
        if version != self._version:
            self._values.clear()
            self._version = version
            return None
        return self._values.get(key)

    def put(self, version: Hashable, key: str, value: T) -> None:
        if version != self._version:
            self._values.clear()
            self._version = version
        elif len(self._values) >= self._size:
            self._values.clear()
        self._values[key] = value


class CatalogCache:
    """The clients and APIs read from one database, and the version they hold for."""

    def __init__(self, version: CatalogVersion, size: int = DEFAULT_SIZE) -> None:
        self.version = version
        self.clients: VersionedCache[Client] = VersionedCache(size)
        self.apis: VersionedCache[Api] = VersionedCache(size)

    async def lookup(
        self, cache: VersionedCache[T], key: str, load: Callable[[], Awaitable[T | None]]
    ) -> T | None:
        """`load()`'s answer for `key`, from the cache while the catalog version holds."""
        version = self.version.current()
        if version is None:
            return await load()
        value = cache.get(version, key)
        if value is None:
            value = await load()
            if value is not None:
                cache.put(version, key, value)
        return value


class CachedClientRepo(SQLClientRepo):
    """Clients looked up from the catalog cache while no transaction changed them."""

    def __init__(self, conn: Connection, catalog: CatalogCache) -> None:
        super().__init__(conn)
        self._catalog = catalog

    async def get(self, client_id: str) -> Client | None:
        return await self._catalog.lookup(
            self._catalog.clients, client_id, partial(super().get, client_id)
        )

    async def add(self, client: Client) -> None:
        self._catalog.version.changed()
        await super().add(client)

    async def update(self, client: Client) -> bool:
        self._catalog.version.changed()
        return await super().update(client)

    async def delete(self, client_id: str) -> bool:
        self._catalog.version.changed()
        return await super().delete(client_id)


class CachedApiRepo(SQLApiRepo):
    """APIs looked up from the catalog cache while no transaction changed them."""

    def __init__(self, conn: Connection, catalog: CatalogCache) -> None:
        super().__init__(conn)
        self._catalog = catalog

    async def get_by_identifier(self, identifier: str) -> Api | None:
        return await self._catalog.lookup(
            self._catalog.apis, identifier, partial(super().get_by_identifier, identifier)
        )

    async def add(self, api: Api) -> None:
        self._catalog.version.changed()
        await super().add(api)

    async def update(self, api: Api) -> bool:
        self._catalog.version.changed()
        return await super().update(api)

    async def delete(self, identifier: str) -> bool:
        self._catalog.version.changed()
        return await super().delete(identifier)
