"""While another process holds SQLite's write lock, a worker goes on serving: the request
that needs the lock waits without stopping the event loop, and gets 503 with
Retry-After once the lock cannot be had in time (SQLite only)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from tessera.settings import Settings
from tessera.store.engine import sqlite_path
from tessera.web.runtime import Runtime
from tests.support.authorize import add_app, request_params
from tests.support.grants import add_api

LOCK_TIMEOUT = 0.5


@pytest.fixture
def database_url(database_url: str) -> str:
    if not database_url.startswith("sqlite:"):
        pytest.skip("SQLite's single write lock only")
    return database_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_connect_timeout": LOCK_TIMEOUT})


@pytest.fixture
def other_process(database_url: str) -> Iterator[sqlite3.Connection]:
    """A second worker or a CLI command, in the middle of a write."""
    conn = sqlite3.connect(sqlite_path(database_url), isolation_level=None)
    yield conn
    conn.close()


async def test_a_locked_database_leaves_the_worker_serving_and_answers_503_retry_after(
    client: httpx.AsyncClient, rt: Runtime, other_process: sqlite3.Connection
) -> None:
    await add_api(rt.store)
    app = await add_app(rt.store)
    other_process.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    started = loop.time()
    locked = asyncio.create_task(client.get("/authorize", params=request_params(app.client_id)))
    await asyncio.sleep(0.05)
    discovery = await client.get("/.well-known/openid-configuration")
    health = await client.get("/healthz")
    served_within = loop.time() - started
    answer = await locked
    other_process.execute("COMMIT")

    assert discovery.status_code == 200 and health.status_code == 200
    assert served_within < LOCK_TIMEOUT / 2  # Served while /authorize was still waiting.
    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"
    assert int(answer.headers["retry-after"]) >= 1
    assert (await client.get("/authorize", params=request_params(app.client_id))).is_redirect
