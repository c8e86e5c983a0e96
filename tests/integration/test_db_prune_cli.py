"""Pruning from the command line and inside `tessera serve`: `tessera db prune` reports
what it deleted, as text or JSON, and a server prunes by itself and logs it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

TABLES = (
    "sessions",
    "interactions",
    "revoked_access_tokens",
    "throttles",
    "refresh_tokens",
    "grants",
    "audit_events",
)


def test_db_prune_reports_each_table(tmp_path: Path) -> None:
    tessera = TesseraServer(tmp_path / "data")
    tessera.cli("db", "upgrade")
    assert tessera.cli_json("db", "prune") == dict.fromkeys(TABLES, 0)
    text = tessera.cli("db", "prune").stdout.strip()
    assert text == " ".join(f"{table}=0" for table in TABLES)


def test_serve_prunes_by_itself_and_logs_what_it_removed(tmp_path: Path) -> None:
    tessera = TesseraServer(tmp_path / "data", TESSERA_PRUNE_INTERVAL="1").start()
    try:
        deadline = time.monotonic() + 20
        while "pruned sessions=" not in tessera.log() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        tessera.stop()
    assert "pruned " + " ".join(f"{table}=0" for table in TABLES) in tessera.log()
