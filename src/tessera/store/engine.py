"""What the two drivers share: the `Connection` and `Database` interfaces, the
transaction rule, statement observers, and `open_database`, which picks the driver a
URL names (store.sqlite, the embedded default; store.postgres, an asyncpg pool).

Why not SQLAlchemy at run time: measured on this project's hardware, its async layer
costs several times the CPU of the raw drivers per write, enough alone to cap the
server below its performance goal. SQLAlchemy still owns the schema (tables.py) and the
migrations.

Every statement is written once with `:name` placeholders (store.postgres rewrites
them for asyncpg). The caller owns the transaction:

    async with database.transaction() as conn:
        ...

It commits when the block ends normally and rolls back when it ends in an exception,
any exception. Writes that must outlive a refusal are the caller's to commit: core
returns such a refusal instead of raising it (core.outcomes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tessera.store.lookups import CatalogVersion

Params = Mapping[str, object]
# Called with the text of every statement a database's transactions send (`observe`).
StatementObserver = Callable[[str], None]


class Row(Protocol):
    """A result row: `sqlite3.Row` and `asyncpg.Record` both index by name and iterate
    over their values."""

    def __getitem__(self, key: str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(ABC):
    """One connection inside a transaction."""

    dialect: str

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params | None = None) -> Row | None:
        """The first row, or None."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params | None = None) -> Sequence[Row]:
        """All rows."""

    @abstractmethod
    async def execute(self, sql: str, params: Params | None = None) -> int:
        """Run a statement; return the number of rows it changed.

        Raises:
            DuplicateError: a unique constraint was violated.
        """


class Database(ABC):
    """A connection source with the transaction rule above."""

    dialect: str
    # True when every write transaction waits for the one before it anyway (SQLite's
    # single writer): splitting work into short transactions then only adds commits.
    serializes_writes: bool
    # How store.lookups learns that clients or APIs may have changed, or None when the
    # database cannot tell without a query: then every lookup queries.
    catalog_version: CatalogVersion | None = None

    def __init__(self) -> None:
        self._observers: list[StatementObserver] = []

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """`async with database.transaction() as conn`: one write transaction.

        Raises:
            StoreUnavailableError: the database cannot be reached, or stays locked.
        """

    @abstractmethod
    def read_transaction(self) -> AbstractAsyncContextManager[Connection]:
        """Like `transaction`, for work that only reads: it takes no write lock, so
        that readers never queue behind SQLite's single writer. A write inside fails
        on PostgreSQL (READ ONLY); on SQLite it would take the lock late, so don't."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    def pool_usage(self) -> tuple[int, int] | None:
        """(connections in use, idle connections) of a pool; None without one (SQLite
        has one connection per process, never waited for)."""
        return None

    @contextmanager
    def observe(self, observer: StatementObserver) -> Iterator[None]:
        """Call `observer` with the text of every statement this database's transactions
        send while the block runs (statement budgets in tests, tracing). Transactions
        begun before the block are not observed."""
        self._observers.append(observer)
        try:
            yield
        finally:
            self._observers.remove(observer)

    def observed(self, conn: Connection) -> Connection:
        """What a driver hands out for a new transaction: the connection itself, or one
        that tells the observers first. Unobserved, a statement costs nothing more."""
        return _ObservedConnection(conn, tuple(self._observers)) if self._observers else conn

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, or None if it has no schema. A read
        transaction: the readiness probe asks this while other requests write."""
        exists_sql = (
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            if self.dialect == "sqlite"
            else "SELECT 1 FROM pg_tables WHERE tablename = 'alembic_version' "
            "AND schemaname = current_schema()"
        )
        async with self.read_transaction() as conn:
            if await conn.fetch_one(exists_sql) is None:
                return None
            row = await conn.fetch_one("SELECT version_num FROM alembic_version")
            return None if row is None else str(row["version_num"])


class _ObservedConnection(Connection):
    def __init__(self, conn: Connection, observers: Sequence[StatementObserver]) -> None:
        self.dialect = conn.dialect
        self._conn = conn
        self._observers = observers

    def _sent(self, sql: str) -> None:
        for observer in self._observers:
            observer(sql)

    async def fetch_one(self, sql: str, params: Params | None = None) -> Row | None:
        self._sent(sql)
        return await self._conn.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params | None = None) -> Sequence[Row]:
        self._sent(sql)
        return await self._conn.fetch_all(sql, params)

    async def execute(self, sql: str, params: Params | None = None) -> int:
        self._sent(sql)
        return await self._conn.execute(sql, params)


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:///PATH` URL (relative paths are relative to the cwd)."""
    return Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))


async def open_database(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    statement_timeout: float = 5.0,
    connect_timeout: float = 5.0,
) -> Database:
    """Open the database a URL names. `connect_timeout` bounds the wait for a
    PostgreSQL connection or for SQLite's write lock.

    Raises:
        ValueError: the URL is neither sqlite:/// nor postgresql://.
        StoreUnavailableError: PostgreSQL cannot be reached.
    """
    # Each driver module is imported when a URL names it: both import this one.
    if url.startswith("sqlite:"):
        from tessera.store.sqlite import SQLiteDatabase

        return SQLiteDatabase(sqlite_path(url), lock_timeout=connect_timeout)
    if url.startswith(("postgresql://", "postgres://")):
        from tessera.store.postgres import PostgresDatabase

        return await PostgresDatabase.connect(
            url,
            min_size=min_size,
            max_size=max_size,
            statement_timeout=statement_timeout,
            connect_timeout=connect_timeout,
        )
    raise ValueError("database URL must start with sqlite:/// or postgresql://")
