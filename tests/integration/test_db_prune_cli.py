"""`tessera db prune`: the cron-able command reports what it deleted, as text or JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration


def test_db_prune_reports_each_table(tmp_path: Path) -> None:
    tessera = TesseraServer(tmp_path / "data")
    tessera.cli("db", "upgrade")
    assert tessera.cli_json("db", "prune") == {
        "interactions": 0,
        "revoked_access_tokens": 0,
        "sessions": 0,
        "throttles": 0,
    }
    text = tessera.cli("db", "prune").stdout.strip()
    assert text == "sessions=0 interactions=0 revoked_access_tokens=0 throttles=0"
