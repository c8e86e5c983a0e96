"""An unreachable database or an out-of-date schema: one line from the CLI, never a
traceback, and a non-zero exit (what a deploy script or a supervisor acts on)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tessera.store.migrate import head_revision
from tests.conftest import TEST_SECRET_KEY
from tests.support.postgres import PostgresCluster, free_port
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration


def one_error_line(node: TesseraServer, *command: str) -> str:
    result = node.cli(*command, check=False)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [("serve", "--port", str(free_port())), ("db", "upgrade"), ("clients", "list")],
    ids=["serve", "db-upgrade", "clients-list"],
)
def test_unreachable_database_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    node = TesseraServer(tmp_path, f"postgresql://tessera@127.0.0.1:{free_port()}/tessera")
    assert one_error_line(node, *command).startswith("error: cannot reach the database: ")


def test_out_of_date_schema_is_one_line_until_db_upgrade(
    tmp_path: Path, postgres: PostgresCluster | None
) -> None:
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    name = f"e_{uuid.uuid4().hex[:10]}"
    postgres.psql(f"CREATE DATABASE {name}")
    node = TesseraServer(tmp_path, postgres.url(name), TESSERA_SECRET_KEY=TEST_SECRET_KEY)
    refusal = (
        f"error: database schema is at nothing, tessera needs {head_revision()}: "
        "run `tessera db upgrade`"
    )
    assert one_error_line(node, "serve", "--port", str(free_port())) == refusal
    assert one_error_line(node, "clients", "list") == refusal
    assert node.cli("db", "upgrade").stdout == f"database schema at {head_revision()}\n"
    assert node.cli_json("clients", "list") == []
