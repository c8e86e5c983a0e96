"""Storage: the one SQL implementation of core's ports.

store = await Store.open(url)
async with store.transaction() as tx:
    client = await tx.clients.get(client_id)

A transaction commits when its block ends normally and rolls back on any exception
(store.engine). `Store` satisfies core.ports.Transactions for every repository
Protocol that `SQLRepos` fits, which mypy checks wherever core is handed a store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property

from tessera.core.ports import Steps
from tessera.store.apis import SQLApiRepo
from tessera.store.audit import AuditListener, Recorded, SQLAuditRepo
from tessera.store.clients import SQLClientRepo
from tessera.store.consents import SQLConsentRepo
from tessera.store.engine import Connection, Database, open_database
from tessera.store.grants import SQLGrantRepo
from tessera.store.interactions import SQLInteractionRepo
from tessera.store.keys import SQLKeyRepo
from tessera.store.lookups import CachedApiRepo, CachedClientRepo, CatalogCache
from tessera.store.refresh_tokens import SQLRefreshTokenRepo
from tessera.store.revocations import SQLAccessTokenRevocationRepo
from tessera.store.sessions import SQLSessionRepo
from tessera.store.steps import SeparateSteps, SharedSteps
from tessera.store.throttles import SQLThrottleRepo
from tessera.store.users import SQLUserRepo

__all__ = ["SQLRepos", "Store"]


class SQLRepos:
    """The repositories of one transaction; each is built on first use.

    It fits every repository Protocol a core use case declares (the repositories it
    touches), which mypy checks wherever a `SQLRepos` is passed to core. With a
    `catalog`, clients and APIs are looked up through it (store.lookups).
    """

    def __init__(self, conn: Connection, catalog: CatalogCache | None = None) -> None:
        self.conn = conn
        self._catalog = catalog

    @cached_property
    def clients(self) -> SQLClientRepo:
        if self._catalog is None:
            return SQLClientRepo(self.conn)
        return CachedClientRepo(self.conn, self._catalog)

    @cached_property
    def users(self) -> SQLUserRepo:
        return SQLUserRepo(self.conn)

    @cached_property
    def apis(self) -> SQLApiRepo:
        if self._catalog is None:
            return SQLApiRepo(self.conn)
        return CachedApiRepo(self.conn, self._catalog)

    @cached_property
    def keys(self) -> SQLKeyRepo:
        return SQLKeyRepo(self.conn)

    @cached_property
    def grants(self) -> SQLGrantRepo:
        return SQLGrantRepo(self.conn)

    @cached_property
    def refresh_tokens(self) -> SQLRefreshTokenRepo:
        return SQLRefreshTokenRepo(self.conn)

    @cached_property
    def revocations(self) -> SQLAccessTokenRevocationRepo:
        return SQLAccessTokenRevocationRepo(self.conn)

    @cached_property
    def sessions(self) -> SQLSessionRepo:
        return SQLSessionRepo(self.conn)

    @cached_property
    def consents(self) -> SQLConsentRepo:
        return SQLConsentRepo(self.conn)

    @cached_property
    def interactions(self) -> SQLInteractionRepo:
        return SQLInteractionRepo(self.conn)

    @cached_property
    def throttles(self) -> SQLThrottleRepo:
        return SQLThrottleRepo(self.conn)

    @cached_property
    def audit(self) -> SQLAuditRepo:
        return SQLAuditRepo(self.conn)

    def recorded(self) -> list[Recorded]:
        """The audit events this transaction wrote (none if it never used `audit`)."""
        audit: SQLAuditRepo | None = self.__dict__.get("audit")
        return [] if audit is None else audit.recorded


class Store:
    """A database plus the transaction that hands out repositories, and the clients and
    APIs cached for that database where it can tell when they change (store.lookups)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        # Called with each audit event once its transaction has committed (metrics).
        self.audit_listeners: list[AuditListener] = []
        version = database.catalog_version
        self._catalog = None if version is None else CatalogCache(version)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        statement_timeout: float = 5.0,
        connect_timeout: float = 5.0,
    ) -> Store:
        """Connect (schema checks are the caller's job: see store.migrate)."""
        database = await open_database(
            url,
            min_size=min_size,
            max_size=max_size,
            statement_timeout=statement_timeout,
            connect_timeout=connect_timeout,
        )
        return cls(database)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLRepos]:
        """Commits when the block ends normally, rolls back on any exception."""
        async with self.database.transaction() as conn:
            repos = SQLRepos(conn, self._catalog)
            yield repos
        self._committed(repos)

    @asynccontextmanager
    async def read_transaction(self) -> AsyncIterator[SQLRepos]:
        """For requests that only read; see `engine.Database.read_transaction`."""
        async with self.database.read_transaction() as conn:
            yield SQLRepos(conn, self._catalog)

    @asynccontextmanager
    async def steps(self) -> AsyncIterator[Steps[SQLRepos]]:
        """Steps that must not hold each other's locks (core.ports.Steps): a transaction
        each where writers run in parallel, one shared transaction where they queue
        anyway (`engine.Database.serializes_writes`; store.steps)."""
        if not self.database.serializes_writes:
            yield SeparateSteps(self.transaction, self.read_transaction)
            return
        shared = SharedSteps(self.database, lambda conn: SQLRepos(conn, self._catalog))
        try:
            yield shared
        finally:
            await shared.end()
            self._committed(*shared.done)

    def _committed(self, *transactions: SQLRepos) -> None:
        """Hand the audit events of committed work to the listeners."""
        for listener in self.audit_listeners:
            for repos in transactions:
                for event in repos.recorded():
                    listener(event)

    async def close(self) -> None:
        await self.database.close()
