"""Metrics of an app in one process (no multiprocess directory): database failures and
every status the edge middleware answers itself are counted, and a node without
metrics never loads prometheus_client (tests/integration/test_metrics.py runs a flow
on a real server with two workers)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tessera.settings import Settings
from tessera.store.engine import sqlite_path


@pytest.fixture
def database_url(database_url: str) -> str:
    if not database_url.startswith("sqlite:"):
        pytest.skip("a held SQLite write lock is the database failure here")
    return database_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics": True, "db_connect_timeout": 0.2})


async def samples(client: httpx.AsyncClient) -> dict[tuple[str, tuple[str, ...]], float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    return {
        (sample.name, tuple(sorted(sample.labels.values()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


async def test_a_request_the_database_fails_is_a_database_error_and_a_503(
    client: httpx.AsyncClient, database_url: str
) -> None:
    other_process = sqlite3.connect(sqlite_path(database_url), isolation_level=None)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        form = {"grant_type": "refresh_token", "refresh_token": "tsr_rt_x", "client_id": "app"}
        assert (await client.post("/oauth/token", data=form)).status_code == 503
        other_process.execute("COMMIT")
    finally:
        other_process.close()
    counted = await samples(client)
    assert counted[("tessera_database_errors_total", ())] == 1
    assert counted[("tessera_http_requests_total", ("/oauth/token", "503"))] == 1


async def test_answers_of_the_edge_middleware_are_counted_as_unmatched_or_by_route(
    client: httpx.AsyncClient,
) -> None:
    too_large = await client.post("/oauth/token", content=b"x" * (64 * 1024 + 1))
    assert too_large.status_code == 413
    counted = await samples(client)
    # Refused before any route matched: no template to name.
    assert counted[("tessera_http_requests_total", ("413", "unmatched"))] == 1


def test_a_node_without_metrics_does_not_import_prometheus_client() -> None:
    script = (
        "import sys\n"
        "from tessera.settings import load_settings\n"
        "from tessera.web.app import create_app\n"
        "create_app(load_settings(secret_key='x' * 32))\n"
        "assert 'prometheus_client' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
