"""PostgreSQL through an `asyncpg` pool: each transaction holds one pooled connection.

Statements keep the `:name` placeholders they are written with; this module rewrites
them as asyncpg's `$n`. A lost connection, a timeout or an overloaded server becomes
StoreUnavailableError (503, and the client may retry); a unique violation becomes
DuplicateError; anything else is a bug and propagates.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, suppress

import asyncpg
from asyncpg.transaction import Transaction

from tessera.store.engine import Connection, Database, Params, Row
from tessera.store.errors import DuplicateError, StoreUnavailableError

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


class PostgresDatabase(Database):
    """An asyncpg pool; each transaction holds one pooled connection.

    Statements are cancelled by the server after `statement_timeout` seconds, and by
    the client a second later should the server not answer at all. A connection,
    new or from a busy pool, is waited for `connect_timeout` seconds. Another node's
    change to a client or an API shows only in a query, so there is no
    `catalog_version`: every lookup queries (store.lookups).
    """

    dialect = "postgresql"
    serializes_writes = False

    def __init__(self, pool: asyncpg.Pool, connect_timeout: float) -> None:
        super().__init__()
        self._pool = pool
        self._connect_timeout = connect_timeout

    def pool_usage(self) -> tuple[int, int] | None:
        idle = self._pool.get_idle_size()
        return self._pool.get_size() - idle, idle

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

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        return self._transaction(readonly=False)

    def read_transaction(self) -> AbstractAsyncContextManager[Connection]:
        return self._transaction(readonly=True)

    @asynccontextmanager
    async def _transaction(self, *, readonly: bool) -> AsyncIterator[Connection]:
        conn, tx = await self._begin(readonly=readonly)
        try:
            try:
                yield self.observed(_PostgresConnection(conn))
            except BaseException:
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
