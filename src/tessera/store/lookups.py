"""Clients and APIs kept in memory for as long as the database says nothing changed.

Every authorization and token request looks up its client and its API. Those rows
change a few times a year and are read hundreds of times a second, so a lookup skips
the SELECT when the connection can prove cheaply that no transaction has changed them
since the value was cached: `Connection.catalog_version()` (engine) returns a value
that differs after any such change. On SQLite that is `PRAGMA data_version` (it moves
when another connection, such as the CLI or another worker, commits anything) plus
this connection's own committed writes to clients and APIs: ~1 µs instead of a
SELECT. PostgreSQL has no such cheap signal (another node's change shows only in a
query), so there it is None and every lookup queries.

A client is cached with its API access (store.clients reads both in one statement).
Deleting an API removes that access by cascade, and an API write moves the catalog
version like a client write, so no cached client outlives an API it could reach.

Only found rows are cached: a flood of unknown client ids must neither fill memory
nor hide a client created a moment later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from tessera.store.engine import Connection

T = TypeVar("T")
DEFAULT_SIZE = 1024


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


async def cached_lookup(
    conn: Connection,
    cache: VersionedCache[T],
    key: str,
    load: Callable[[], Awaitable[T | None]],
) -> T | None:
    """`load()`'s answer for `key`, from the cache while the catalog version holds."""
    version = await conn.catalog_version()
    if version is None:
        return await load()
    value = cache.get(version, key)
    if value is None:
        value = await load()
        if value is not None:
            cache.put(version, key, value)
    return value
