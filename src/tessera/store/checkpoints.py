"""WAL checkpoints off the event loop: on a worker thread, between transactions.

SQLite's default checkpoints inside the COMMIT that crosses 1,000 WAL pages, on the
thread that commits. On the serving connection that is the event loop: such a COMMIT
takes far longer than an ordinary one, and every request in flight waits, including
those with no database work left. Here the connection's automatic checkpoints are off
(`wal_autocheckpoint=0`) and every `CHECKPOINT_EVERY` write transactions one PASSIVE
checkpoint runs on a worker thread (sqlite3 releases the GIL while it copies pages),
holding the connection's lock like a transaction. Requests that need the database wait
for it as they would have; the others go on.

Why not a thread with a connection of its own: its checkpoints run beside the writer
and so always finish behind it, and SQLite starts the WAL over only when a write finds
every frame copied back. Under steady writes that never happens and the WAL grows
without bound. Holding the lock, the checkpoint copies every frame, and the next write
starts the WAL over.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

log = logging.getLogger(__name__)

# A full flow writes about five pages per write transaction: this keeps the WAL near
# SQLite's own 1,000-page threshold.
CHECKPOINT_EVERY = 200


class CheckpointSchedule:
    """Counts write transactions and checkpoints after every `every` of them.

    `written` is called by the transaction that just committed; `wait` lets `close`
    finish a checkpoint in progress before the connection goes.
    """

    def __init__(
        self, conn: sqlite3.Connection, lock: asyncio.Lock, *, every: int = CHECKPOINT_EVERY
    ) -> None:
        self._conn = conn
        self._lock = lock
        self._every = every
        self._writes = 0
        self._running: asyncio.Task[None] | None = None

    def written(self) -> None:
        self._writes += 1
        if self._writes >= self._every and self._running is None:
            self._writes = 0
            self._running = asyncio.create_task(self._checkpoint())

    async def wait(self) -> None:
        if self._running is not None:
            await self._running

    async def _checkpoint(self) -> None:
        try:
            async with self._lock:
                await asyncio.to_thread(self._run)
        finally:
            self._running = None

    def _run(self) -> None:
        """One PASSIVE checkpoint; a failure is retried after the next writes."""
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed, will retry: %s", exc)
