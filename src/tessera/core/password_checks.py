"""How many password checks one process runs at once, and how long a sign-in waits.

Anyone can ask for a password check, and each argon2id check holds a core and 64 MiB
for its duration: unbounded, a burst of sign-ins grows a worker's memory by 64 MiB per
request in progress (the thread pool alone would allow dozens). One check per core
available to the process keeps every core busy and the memory at cores x 64 MiB.

A sign-in that finds every slot taken waits for one, briefly and in a bounded line (a
waiting request holds no argon2 memory), so that a few people signing in at the same
moment are all served; beyond the line, or after the wait, it is answered at once that
the service is busy (core.authorization.sign_in). The slots are the process's, held by
the server's runtime and shared by every sign-in it serves.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# Sign-ins that may wait per slot, and for how long: a check takes a fraction of a
# second, so a line this long clears within the wait on a machine that is not overloaded.
WAITING_PER_SLOT = 4
MAX_WAIT = 2.0


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class PasswordCheckSlots:
    """`size` slots; at most `waiting` more callers wait for one, each `max_wait` seconds
    at most (defaults: WAITING_PER_SLOT per slot, MAX_WAIT)."""

    def __init__(self, size: int, *, waiting: int | None = None, max_wait: float = MAX_WAIT):
        self.size = size
        self.waiting = WAITING_PER_SLOT * size if waiting is None else waiting
        self.max_wait = max_wait
        self._slots = asyncio.Semaphore(size)
        self._in_line = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[bool]:
        """`async with slots.slot() as free:` holds a slot for the block when `free` is
        True; False means none came free in time and the caller must not check a
        password."""
        taken = await self._take()
        try:
            yield taken
        finally:
            if taken:
                self._slots.release()

    async def _take(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # Free, and nobody waits before us: no pause.
            return True
        if self._in_line >= self.waiting:
            return False
        self._in_line += 1
        try:
            async with asyncio.timeout(self.max_wait):
                await self._slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self._in_line -= 1
