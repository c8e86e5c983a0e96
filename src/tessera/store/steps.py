"""The two ways to run a request's steps (core.ports.Steps): a transaction each, or one
transaction for all with a savepoint each.

Which one a store uses follows from its database: where writers run in parallel
(PostgreSQL), a step's row locks must end with the step, so each step commits on its
own; where one writer runs at a time (SQLite), the next step would wait for that
commit anyway, so the steps share one transaction and its one commit. Either way a
step that raises undoes its own writes and nothing else, and a step that ended stays
done whatever follows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Generic, TypeVar

from tessera.store.engine import Connection, Database

R = TypeVar("R")

# Steps run one after another, never inside each other, so one name serves them all.
_SAVEPOINT = "step"


class SeparateSteps(Generic[R]):
    """Each step is a transaction of its own."""

    def __init__(
        self,
        transaction: Callable[[], AbstractAsyncContextManager[R]],
        read_transaction: Callable[[], AbstractAsyncContextManager[R]],
    ) -> None:
        self._transaction = transaction
        self._read_transaction = read_transaction

    def step(self, *, read_only: bool = False) -> AbstractAsyncContextManager[R]:
        return self._read_transaction() if read_only else self._transaction()


class SharedSteps(Generic[R]):
    """The steps share one write transaction, begun by the first step and committed by
    `end`; each step runs inside a savepoint, so that one that raises rolls back to
    where it began. A read-only step is a step like any other here: the transaction
    already holds the write lock."""

    def __init__(self, database: Database, repos: Callable[[Connection], R]) -> None:
        self._database = database
        self._repos = repos
        self._transaction = AsyncExitStack()
        self._conn: Connection | None = None
        self._broken: BaseException | None = None
        # The repositories of the steps that ended normally: committed by `end`.
        self.done: list[R] = []

    @asynccontextmanager
    async def step(self, *, read_only: bool = False) -> AsyncIterator[R]:
        if self._broken is not None:
            raise RuntimeError("a step after one that could not be rolled back")
        conn = await self._connection()
        await conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        repos = self._repos(conn)
        try:
            yield repos
        except BaseException as exc:
            try:
                await conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
                await conn.execute(f"RELEASE {_SAVEPOINT}")
            except Exception:
                # SQLite ended the transaction itself (some errors do): `end` must not
                # commit what is left of it.
                self._broken = exc
            raise
        await conn.execute(f"RELEASE {_SAVEPOINT}")
        self.done.append(repos)

    async def _connection(self) -> Connection:
        """The shared transaction's connection; the first step begins the transaction."""
        if self._conn is None:
            opened: Connection = await self._transaction.enter_async_context(
                self._database.transaction()
            )
            self._conn = opened
        return self._conn

    async def end(self) -> None:
        """Commit what the steps did; roll back instead if a step's own rollback failed.

        Raises:
            StoreUnavailableError: the commit was refused for a lock (store.engine).
        """
        broken = self._broken
        if broken is None:
            await self._transaction.aclose()
        else:
            self.done.clear()  # Rolled back with the rest.
            await self._transaction.__aexit__(type(broken), broken, broken.__traceback__)
