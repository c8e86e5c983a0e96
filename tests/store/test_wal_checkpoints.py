"""WAL checkpoints run on a worker thread between transactions, never inside a
request's COMMIT on the event loop, and the WAL keeps starting over (SQLite only)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tessera.store.checkpoints import CheckpointSchedule
from tessera.store.sqlite import SQLiteDatabase

ROW_BYTES = 4000
EVERY = 20
ROUNDS = 20


async def test_the_serving_connection_never_checkpoints_inside_a_commit(tmp_path: Path) -> None:
    database = SQLiteDatabase(tmp_path / "t.db")
    try:
        async with database.transaction() as conn:
            row = await conn.fetch_one("PRAGMA wal_autocheckpoint")
        assert row is not None and row["wal_autocheckpoint"] == 0
    finally:
        await database.close()


async def test_scheduled_checkpoints_copy_the_wal_back_and_keep_it_small(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (v BLOB)")
    lock = asyncio.Lock()
    schedule = CheckpointSchedule(conn, lock, every=EVERY)
    wal = path.with_name("t.db-wal")
    try:
        for _ in range(ROUNDS * EVERY):
            async with lock:
                conn.execute(f"INSERT INTO t VALUES (randomblob({ROW_BYTES}))")
            schedule.written()
            await asyncio.sleep(0)  # Requests interleave with the checkpoint.
        await schedule.wait()
        # Everything reached the database file, and the WAL started over at each
        # checkpoint: it holds a few rounds of writes, not all of them.
        written = ROUNDS * EVERY * ROW_BYTES
        assert path.stat().st_size > written
        assert wal.stat().st_size < written / 4
    finally:
        conn.close()
