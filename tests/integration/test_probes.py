"""The Kubernetes probes of a real `tessera serve`: `/livez` answers as long as the
process does, `/readyz` only while the node can serve a flow, and says which check
failed; both recover without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tessera.store import migrate
from tests.conftest import TEST_SECRET_KEY
from tests.support import postgres as pg
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration


def start_server(data_dir: Path, database_url: str) -> TesseraServer:
    return TesseraServer(data_dir, database_url, TESSERA_SECRET_KEY=TEST_SECRET_KEY).start()


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[TesseraServer]:
    instance = start_server(tmp_path / "data", database_url)
    yield instance
    instance.stop()


def probe(server: TesseraServer, path: str) -> httpx.Response:
    answer = httpx.get(server.issuer + path, timeout=5)
    assert answer.headers["cache-control"] == "no-store"
    return answer


def test_a_serving_node_is_live_and_ready(server: TesseraServer) -> None:
    assert probe(server, "/livez").json() == {"status": "ok"}
    ready = probe(server, "/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


def test_readyz_names_the_schema_while_it_is_behind_and_recovers_after_the_upgrade(
    server: TesseraServer, database_url: str
) -> None:
    migrate.downgrade(database_url, "-1")
    behind = probe(server, "/readyz")
    assert behind.status_code == 503
    assert behind.json() == {"status": "unavailable", "failed": "schema"}
    assert probe(server, "/livez").status_code == 200
    migrate.upgrade(database_url)
    assert probe(server, "/readyz").status_code == 200
    assert "not ready: schema: at " in server.log()


@pytest.mark.postgres
def test_readyz_is_503_while_postgresql_is_stopped_and_200_once_it_is_back(
    tmp_path: Path,
) -> None:
    if not pg.available():
        pytest.skip("PostgreSQL is not available")
    # A cluster of its own: stopping the suite's would fail every other test's database.
    cluster = pg.PostgresCluster()
    cluster.start()
    server = None
    try:
        url = cluster.url()
        migrate.upgrade(url)
        server = start_server(tmp_path / "data", url)
        assert probe(server, "/readyz").status_code == 200
        cluster.pause()
        down = probe(server, "/readyz")
        assert down.status_code == 503
        assert down.json() == {"status": "unavailable", "failed": "database"}
        assert probe(server, "/livez").status_code == 200
        cluster.resume()
        assert probe(server, "/readyz").status_code == 200
        assert "not ready: database: " in server.log()
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
