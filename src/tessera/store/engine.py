"""Plain SQL over the raw drivers: `sqlite3` (embedded default) and an `asyncpg` pool.

Why not SQLAlchemy at run time: its async layer measured 370-520 us of CPU per write on
this hardware, against 20-28 us for `sqlite3` and 65-140 us for asyncpg, and would alone
cap the server below its performance goal. SQLAlchemy still owns the schema (tables.py)
and the migrations.

Every statement is written once with `:name` placeholders; this module is the one place
that knows the dialects apart (asyncpg wants `$1`). The caller owns the transaction:

    async with database.transaction() as conn:
        ...

It commits when the block ends normally **or with an OAuthError** (a reused code must
stay revoked, a failed login must stay counted) and rolls back on anything else.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from asyncpg.transaction import Transaction

from tessera.core.errors import OAuthError
from tessera.store.checkpoints import CheckpointSchedule
from tessera.store.errors import DuplicateError, StoreUnavailableError
from tessera.store.files import create_private_database_file

Params = Mapping[str, object]


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

    @abstractmethod
    async def catalog_version(self) -> Hashable | None:
        """A value that stays equal for as long as no transaction has changed clients
        or APIs, or None when this database cannot tell cheaply (store.lookups: then
        nothing is cached). Values of different databases never compare equal."""

    @abstractmethod
    def catalog_changed(self) -> None:
        """Called by the repositories that write clients or APIs."""


class Database(ABC):
    """A connection source with the transaction rule above."""

    dialect: str
    # True when every write transaction waits for the one before it anyway (SQLite's
    # single writer): splitting work into short transactions then only adds commits.
    serializes_writes: bool

    @abstractmethod
    def transaction(self) -> Any:
        """`async with database.transaction() as conn` (an async context manager)."""

    @abstractmethod
    def read_transaction(self) -> Any:
        """Like `transaction`, for work that only reads: it takes no write lock, so
        that readers never queue behind SQLite's single writer. A write inside fails
        on PostgreSQL (READ ONLY); on SQLite it would take the lock late, so don't."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, or None if it has no schema."""
        exists_sql = (
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            if self.dialect == "sqlite"
            else "SELECT 1 FROM pg_tables WHERE tablename = 'alembic_version' "
            "AND schemaname = current_schema()"
        )
        async with self.transaction() as conn:
            if await conn.fetch_one(exists_sql) is None:
                return None
            row = await conn.fetch_one("SELECT version_num FROM alembic_version")
            return None if row is None else str(row["version_num"])


def _keeps_transaction(exc: BaseException | None) -> bool:
    return exc is None or isinstance(exc, OAuthError)


# --- SQLite -----------------------------------------------------------------------------


_database_serials = itertools.count()


class _SQLiteConnection(Connection):
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # catalog_version: which database, and how many of this connection's own
        # transactions changed the catalog (data_version ignores a connection's own).
        self._serial = next(_database_serials)
        self._own_catalog_changes = 0
        self._catalog_changed = False
        self._version: Hashable | None = None  # This transaction's, once asked for.

    async def catalog_version(self) -> Hashable | None:
        if self._catalog_changed:
            return None  # Not committed yet: nothing read now may be cached.
        if self._version is None:
            (data_version,) = self._conn.execute("PRAGMA data_version").fetchone()
            self._version = (self._serial, data_version, self._own_catalog_changes)
        return self._version

    def catalog_changed(self) -> None:
        self._catalog_changed = True

    def transaction_ended(self) -> None:
        """Committed or rolled back: either way, what was cached before may be stale."""
        self._version = None
        if self._catalog_changed:
            self._own_catalog_changes += 1
            self._catalog_changed = False

    async def fetch_one(self, sql: str, params: Params | None = None) -> Row | None:
        with _unavailable_when_locked():
            row: Row | None = self._conn.execute(sql, params or {}).fetchone()
        return row

    async def fetch_all(self, sql: str, params: Params | None = None) -> Sequence[Row]:
        with _unavailable_when_locked():
            rows: list[Row] = self._conn.execute(sql, params or {}).fetchall()
        return rows

    async def execute(self, sql: str, params: Params | None = None) -> int:
        try:
            with _unavailable_when_locked():
                return self._conn.execute(sql, params or {}).rowcount
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                raise DuplicateError(str(exc)) from None
            raise


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (any extended code): another connection has the lock."""
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@contextmanager
def _unavailable_when_locked() -> Iterator[None]:
    """A statement refused for a lock another connection holds is a 503, not a 500."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if _is_locked(exc):
            raise StoreUnavailableError(f"sqlite: {exc}") from None
        raise


# Pauses between tries for the write lock: short at first (most writes hold it for
# microseconds), never so long that a freed lock sits unused for long.
FIRST_LOCK_PAUSE = 0.001
LONGEST_LOCK_PAUSE = 0.05


class SQLiteDatabase(Database):
    """The embedded default: one connection per process, used on the event loop.

    A write costs ~25 us, less than a thread hop, so statements run inline. An
    asyncio lock keeps one transaction at a time on the connection. `BEGIN IMMEDIATE`
    takes SQLite's write lock up front, so a transaction never fails a read-to-write
    upgrade halfway.

    The connection never waits inside SQLite for a lock (`busy_timeout=0`): that wait
    would stop the event loop, and with it every request of the process, for as long
    as another process (a second worker, a CLI command) writes. Instead `BEGIN
    IMMEDIATE` is tried again after `asyncio.sleep` pauses, with the asyncio lock let
    go meanwhile so that reads go on, until `lock_timeout` seconds have passed; then
    it raises StoreUnavailableError (503, Retry-After). A statement refused for a lock
    anywhere else in a transaction raises it too.
    """

    dialect = "sqlite"
    serializes_writes = True

    def __init__(self, path: Path, *, lock_timeout: float = 5.0) -> None:
        create_private_database_file(path)
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        self._conn.row_factory = sqlite3.Row
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=0",
            "foreign_keys=ON",
            "wal_autocheckpoint=0",  # store.checkpoints runs them off the event loop.
        ):
            self._conn.execute(f"PRAGMA {pragma}")
        self._lock_timeout = lock_timeout
        self._lock = asyncio.Lock()
        self._wrapped = _SQLiteConnection(self._conn)
        self._checkpoints = CheckpointSchedule(self._conn, self._lock)

    def transaction(self) -> Any:
        return self._transaction("BEGIN IMMEDIATE", writes=True)

    def read_transaction(self) -> Any:
        # A deferred BEGIN takes only a read snapshot at the first SELECT.
        return self._transaction("BEGIN", writes=False)

    @asynccontextmanager
    async def _transaction(self, begin: str, *, writes: bool) -> AsyncIterator[Connection]:
        await self._begin(begin)
        try:
            try:
                yield self._wrapped
            except BaseException as exc:
                if _keeps_transaction(exc):
                    self._commit()
                else:
                    self._roll_back()
                raise
            else:
                self._commit()
            finally:
                self._wrapped.transaction_ended()
                if writes:
                    self._checkpoints.written()
        finally:
            self._lock.release()

    async def _begin(self, begin: str) -> None:
        """Hold the asyncio lock inside a new transaction, waiting for SQLite's lock
        without blocking the event loop.

        Raises:
            StoreUnavailableError: the lock was not free within `lock_timeout`, or the
                database cannot be opened at all.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_timeout
        pause = FIRST_LOCK_PAUSE
        while True:
            await self._lock.acquire()
            try:
                self._conn.execute(begin)
                return
            except sqlite3.OperationalError as exc:
                self._lock.release()
                if not _is_locked(exc):
                    raise StoreUnavailableError(f"sqlite: {exc}") from None
            except BaseException:
                self._lock.release()
                raise
            if loop.time() + pause > deadline:
                raise StoreUnavailableError(
                    f"sqlite: the database stayed locked for {self._lock_timeout:g} s"
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_LOCK_PAUSE)

    def _commit(self) -> None:
        """COMMIT; one refused for a lock is rolled back and raises StoreUnavailableError."""
        try:
            with _unavailable_when_locked():
                self._conn.execute("COMMIT")
        except StoreUnavailableError:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        # After some errors SQLite has ended the transaction itself: nothing to undo.
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    async def close(self) -> None:
        await self._checkpoints.wait()
        self._conn.close()


# --- PostgreSQL -------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_compiled: dict[str, tuple[str, tuple[str, ...]]] = {}


def to_numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """Rewrite `:name` placeholders as asyncpg's `$n`; cached per statement text."""
    cached = _compiled.get(sql)
    if cached is None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        cached = (_PLACEHOLDER.sub(number, sql), tuple(names))
        _compiled[sql] = cached
    return cached


def _bind(sql: str, params: Params | None) -> tuple[str, list[object]]:
    text, names = to_numbered(sql)
    values = params or {}
    return text, [values[name] for name in names]


# What a lost connection, a timeout or an overloaded server raises. The request answers
# 503 (StoreUnavailableError) and may be retried by its client; anything else is a bug.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unknown host
    TimeoutError,  # connect, pool or command timeout
    asyncpg.PostgresConnectionError,  # 08xxx: the connection is gone
    asyncpg.exceptions.OperatorInterventionError,  # 57xxx: statement timeout, shutdown
    asyncpg.exceptions.InsufficientResourcesError,  # 53xxx: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # 40xxx: serialization failure, deadlock
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,  # 28xxx: login refused
    asyncpg.exceptions.InvalidCatalogNameError,  # 3D000: no such database
)


def _describe(exc: BaseException) -> str:
    """The first line of an error, for a log line or the command line's one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _unavailable_on_failure() -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StoreUnavailableError(f"database unavailable: {_describe(exc)}") from None


class _PostgresConnection(Connection):
    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Params | None = None) -> Row | None:
        text, args = _bind(sql, params)
        with _unavailable_on_failure():
            row: Row | None = await self._conn.fetchrow(text, *args)
        return row

    async def fetch_all(self, sql: str, params: Params | None = None) -> Sequence[Row]:
        text, args = _bind(sql, params)
        with _unavailable_on_failure():
            rows: list[Row] = await self._conn.fetch(text, *args)
        return rows

    async def execute(self, sql: str, params: Params | None = None) -> int:
        text, args = _bind(sql, params)
        try:
            with _unavailable_on_failure():
                status: str = await self._conn.execute(text, *args)
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateError(str(exc)) from None
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def catalog_version(self) -> Hashable | None:
        return None  # Another node's change shows only in a query: nothing is cached.

    def catalog_changed(self) -> None:
        pass


class PostgresDatabase(Database):
    """An asyncpg pool; each transaction holds one pooled connection.

    Statements are cancelled by the server after `statement_timeout` seconds, and by
    the client a second later should the server not answer at all. A connection,
    new or from a busy pool, is waited for `connect_timeout` seconds.
    """

    dialect = "postgresql"
    serializes_writes = False

    def __init__(self, pool: asyncpg.Pool, connect_timeout: float) -> None:
        self._pool = pool
        self._connect_timeout = connect_timeout

    @classmethod
    async def connect(
        cls,
        dsn: str,
        *,
        min_size: int,
        max_size: int,
        statement_timeout: float,
        connect_timeout: float,
    ) -> PostgresDatabase:
        """Open the pool.

        Raises:
            StoreUnavailableError: the server cannot be reached or refuses the login.
        """
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                timeout=connect_timeout,
                command_timeout=statement_timeout + 1,
                server_settings={"statement_timeout": str(int(statement_timeout * 1000))},
            )
        except (*_UNAVAILABLE, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            # Whatever stops the first connection (a bad URL included) is one line.
            raise StoreUnavailableError(f"cannot reach the database: {_describe(exc)}") from None
        return cls(pool, connect_timeout)

    def transaction(self) -> Any:
        return self._transaction(readonly=False)

    def read_transaction(self) -> Any:
        return self._transaction(readonly=True)

    @asynccontextmanager
    async def _transaction(self, *, readonly: bool) -> AsyncIterator[Connection]:
        conn, tx = await self._begin(readonly=readonly)
        try:
            try:
                yield _PostgresConnection(conn)
            except BaseException as exc:
                if _keeps_transaction(exc):
                    with _unavailable_on_failure():
                        await tx.commit()
                else:
                    await _roll_back(tx)
                raise
            with _unavailable_on_failure():
                await tx.commit()
        finally:
            await self._release(conn)

    async def _begin(
        self, *, readonly: bool, retry: bool = True
    ) -> tuple[asyncpg.Connection, Transaction]:
        """A pooled connection inside a new transaction.

        A pooled connection may have died without the pool noticing yet (the server
        restarted, a failover): BEGIN is then tried once more on a fresh connection.
        Nothing of the caller's has been sent, so this retry is safe for every
        transaction. A failure after that is never retried here: a write may already
        be committed, and only the caller knows whether repeating it is harmless.
        """
        with _unavailable_on_failure():
            conn = await self._pool.acquire(timeout=self._connect_timeout)
        tx = conn.transaction(readonly=readonly)
        try:
            with _unavailable_on_failure():
                await tx.start()
        except StoreUnavailableError:
            await self._release(conn)
            if not retry:
                raise
            return await self._begin(readonly=readonly, retry=False)
        return conn, tx

    async def _release(self, conn: asyncpg.Connection) -> None:
        """Return a connection; a broken one is closed by the pool, which is all we need."""
        with suppress(*_UNAVAILABLE, asyncpg.InterfaceError):
            await self._pool.release(conn)

    async def close(self) -> None:
        await self._pool.close()


async def _roll_back(tx: Transaction) -> None:
    """Roll back after a failure; on a lost connection the server has already done so."""
    with suppress(*_UNAVAILABLE, asyncpg.InterfaceError):
        await tx.rollback()


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
    if url.startswith("sqlite:"):
        return SQLiteDatabase(sqlite_path(url), lock_timeout=connect_timeout)
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresDatabase.connect(
            url,
            min_size=min_size,
            max_size=max_size,
            statement_timeout=statement_timeout,
            connect_timeout=connect_timeout,
        )
    raise ValueError("database URL must start with sqlite:/// or postgresql://")
