"""The embedded default: one `sqlite3` connection per process, used on the event loop.

Its lock wait (SQLite's single writer, waited for without stopping the event loop), the
mapping of a refused lock to StoreUnavailableError (503), and the catalog version that
lets store.lookups skip a SELECT while no transaction has changed clients or APIs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Hashable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path

from tessera.store.checkpoints import CheckpointSchedule
from tessera.store.engine import Connection, Database, Params, Row
from tessera.store.errors import DuplicateError, StoreUnavailableError
from tessera.store.files import create_private_database_file


class _SQLiteConnection(Connection):
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

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


class SQLiteCatalogVersion:
    """store.lookups' `CatalogVersion` for one connection: `PRAGMA data_version`, which
    moves when another connection (the CLI, another worker) commits anything, and the
    count of this connection's own transactions that changed clients or APIs (which
    data_version ignores). The pragma is read once per transaction, without a query
    plan or a page read: far cheaper than the SELECT it saves.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._own_changes = 0
        self._changed = False  # This transaction wrote clients or APIs.
        self._version: Hashable | None = None  # This transaction's, once asked for.

    def current(self) -> Hashable | None:
        if self._changed:
            return None  # Not committed yet: nothing read now may be cached.
        if self._version is None:
            (data_version,) = self._conn.execute("PRAGMA data_version").fetchone()
            self._version = (data_version, self._own_changes)
        return self._version

    def changed(self) -> None:
        self._changed = True

    def transaction_ended(self) -> None:
        """Committed or rolled back: either way, what was cached before may be stale."""
        self._version = None
        if self._changed:
            self._own_changes += 1
            self._changed = False


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


# Pauses between tries for the write lock: short at first (most writes hold it only
# briefly), never so long that a freed lock sits unused for long.
FIRST_LOCK_PAUSE = 0.001
LONGEST_LOCK_PAUSE = 0.05


class SQLiteDatabase(Database):
    """One connection per process, used on the event loop.

    A statement costs less than handing it to a thread would, so statements run
    inline. An asyncio lock keeps one transaction at a time on the connection. `BEGIN
    IMMEDIATE` takes SQLite's write lock up front, so a transaction never fails a
    read-to-write upgrade halfway.

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
        super().__init__()
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
        self._catalog = SQLiteCatalogVersion(self._conn)
        self.catalog_version = self._catalog
        self._checkpoints = CheckpointSchedule(self._conn, self._lock)

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        return self._transaction("BEGIN IMMEDIATE", writes=True)

    def read_transaction(self) -> AbstractAsyncContextManager[Connection]:
        # A deferred BEGIN takes only a read snapshot at the first SELECT.
        return self._transaction("BEGIN", writes=False)

    @asynccontextmanager
    async def _transaction(self, begin: str, *, writes: bool) -> AsyncIterator[Connection]:
        await self._begin(begin)
        try:
            try:
                yield self.observed(self._wrapped)
            except BaseException:
                self._roll_back()
                raise
            else:
                self._commit()
            finally:
                self._catalog.transaction_ended()
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
