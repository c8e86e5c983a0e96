"""How many password checks one process runs at once.

Anyone can ask for a password check, and each argon2id check holds a core and 64 MiB
for its duration: unbounded, a burst of sign-ins grows a worker's memory by 64 MiB per
request in progress (the thread pool alone would allow dozens). One check per core
available to the process keeps every core busy and the memory at cores x 64 MiB; a
sign-in that finds every slot taken is answered 503 at once instead of queueing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class PasswordCheckSlots:
    """A fixed number of slots, taken and given back on the event loop (no lock needed:
    one thread touches the count)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._taken = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """`with slots.slot() as free:` holds a slot for the block when `free` is True;
        False means every slot is taken and the caller must not check a password."""
        if self._taken >= self.size:
            yield False
            return
        self._taken += 1
        try:
            yield True
        finally:
            self._taken -= 1
