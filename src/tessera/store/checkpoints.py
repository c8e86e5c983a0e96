"""WAL checkpoints off the request path: a thread of its own, on a connection of its own.

SQLite's default checkpoints inside the COMMIT that crosses 1,000 WAL pages. On the
serving connection that COMMIT then copies the WAL into the database file on the event
loop: a median COMMIT costs ~25 us, such a one 3-11 ms, and every request in flight
waits. The serving connection turns automatic checkpoints off (`wal_autocheckpoint=0`)
and this thread runs a PASSIVE checkpoint whenever the WAL was written since the last
one. PASSIVE never waits for a lock and never makes a writer wait, and sqlite3 releases
the GIL while it copies pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# At a few thousand pages written per second, SQLite's own 1,000-page threshold is
# crossed about this often; the WAL holds what the writers add in one interval.
INTERVAL_SECONDS = 0.25
STOP_TIMEOUT = 5.0


class WALCheckpointer:
    """Checkpoints a database's WAL every `interval` seconds if it was written to.

    `stop` ends the thread and waits for a checkpoint in progress to finish.
    """

    def __init__(self, path: Path, *, interval: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._wal = path.with_name(path.name + "-wal")
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            seen = self._wal_state()
            while not self._stopping.wait(self._interval):
                state = self._wal_state()
                if state != seen:
                    self._checkpoint(conn)
                    seen = self._wal_state()
        finally:
            conn.close()

    def _wal_state(self) -> tuple[int, int]:
        """The WAL's modification time and size: they change when a writer commits."""
        try:
            stat = self._wal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint; a failure is retried after the next write."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed, will retry: %s", exc)
