"""Pruning inside `tessera serve`: every interval, by whichever worker takes the lease.

Every worker of every node runs this task. At each turn it asks for the `prune` lease
until the next turn is due, in one conditional statement (store.leases), and only the
worker that gets it prunes (store.prune: short batches, what was deleted logged). So
the deployment prunes about once per interval, however many nodes it has and however
often they restart. A failed turn is logged and the next one tries again; it never
ends the server.

The first turn comes `first_delay` after start-up rather than at once: a deploy starts
every node together, and a start-up is busy enough.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from contextlib import suppress

from tessera.store.engine import Database
from tessera.store.errors import StoreUnavailableError
from tessera.store.leases import take_lease
from tessera.store.prune import PrunePolicy, prune

log = logging.getLogger("tessera.prune")

LEASE = "prune"
FIRST_DELAY = 60.0


class PruneSchedule:
    """The background task; `start` it once the store is open, `stop` it before closing."""

    def __init__(
        self,
        database: Database,
        policy: PrunePolicy,
        *,
        interval: int,
        clock: Callable[[], float],
        first_delay: float = FIRST_DELAY,
    ) -> None:
        self._database = database
        self._policy = policy
        self._interval = interval
        self._clock = clock
        self._first_delay = min(first_delay, interval)
        self._holder = f"{socket.gethostname()}:{os.getpid()}"
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tessera-prune")

    async def stop(self) -> None:
        """Cancel the task, a turn in progress included (the batches done stay done)."""
        if self._task is None:
            return
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def turn(self) -> dict[str, int] | None:
        """Prune if this worker takes the lease: the rows deleted from each table, or
        None when another worker holds the lease.

        Raises:
            StoreUnavailableError: the database failed.
        """
        now = int(self._clock())
        async with self._database.transaction() as conn:
            taken = await take_lease(conn, LEASE, self._holder, now=now, until=now + self._interval)
        if not taken:
            return None
        return await prune(self._database, now, self._policy)

    async def _run(self) -> None:
        await asyncio.sleep(self._first_delay)
        while True:
            try:
                deleted = await self.turn()
            except StoreUnavailableError as exc:
                log.warning("pruning failed, next try in %d s: %s", self._interval, exc)
            except Exception:
                log.exception("pruning failed, next try in %d s", self._interval)
            else:
                if deleted is not None:
                    log.info("pruned %s", " ".join(f"{t}={n}" for t, n in deleted.items()))
            await asyncio.sleep(self._interval)
