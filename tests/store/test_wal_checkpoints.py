"""WAL checkpoints run on their own thread, not inside a request's COMMIT (SQLite only)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tessera.store.checkpoints import WALCheckpointer
from tessera.store.engine import SQLiteDatabase

DEADLINE_SECONDS = 5.0


def checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoint"]


def wait_until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


async def test_the_serving_connection_never_checkpoints_and_close_stops_the_thread(
    tmp_path: Path,
) -> None:
    before = len(checkpointer_threads())
    database = SQLiteDatabase(tmp_path / "t.db")
    async with database.transaction() as conn:
        row = await conn.fetch_one("PRAGMA wal_autocheckpoint")
    assert row is not None and row[0] == 0
    assert len(checkpointer_threads()) == before + 1
    await database.close()
    assert len(checkpointer_threads()) == before


def test_what_a_writer_commits_reaches_the_database_file_without_it_checkpointing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (v BLOB)")
    empty, threads = path.stat().st_size, len(checkpointer_threads())
    checkpointer = WALCheckpointer(path, interval=0.01)
    checkpointer.start()
    try:
        for _ in range(50):
            writer.execute("INSERT INTO t VALUES (randomblob(4000))")
        assert wait_until(lambda: path.stat().st_size > empty + 50 * 4000)
    finally:
        checkpointer.stop()
        writer.close()
    assert len(checkpointer_threads()) == threads
