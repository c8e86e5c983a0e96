"""Shared fixtures: settings, a fresh database per test on SQLite and PostgreSQL, the app.

`database_url` is parametrised over both engines (the encode/databases pattern): every
test that takes it runs twice. PostgreSQL comes from a throwaway cluster started once
per session (tests/support/postgres.py); set TESSERA_TEST_POSTGRES=0 to skip it
locally, and TESSERA_TEST_REQUIRE_POSTGRES=1 (as `make test` does) to make a missing
server an error rather than a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tessera.core.keyring import ensure_current_keys
from tessera.settings import Settings, load_settings
from tessera.store import Store, migrate
from tessera.web.app import create_app
from tessera.web.runtime import Runtime
from tests.support import postgres as pg

TEST_SECRET_KEY = "tessera-test-secret-key-0123456789abcdef"
ISSUER = "http://localhost:8000"


@dataclass
class Clock:
    """A controllable clock: tests move time forward instead of sleeping."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def _seed_keys(url: str) -> None:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        async with store.transaction() as tx:
            # The keys of a deployment with the default algorithms; a test that enables
            # another gets its key when its server starts.
            algorithms = Settings.model_construct().enabled_algorithms
            await ensure_current_keys(tx.keys, algorithms, TEST_SECRET_KEY, 1_700_000_000)
    finally:
        await store.close()


def _make_template(url: str) -> None:
    migrate.upgrade(url)
    asyncio.run(_seed_keys(url))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TESSERA_* setting from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TESSERA_") and not name.startswith("TESSERA_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg.PostgresCluster | None]:
    if os.environ.get("TESSERA_TEST_POSTGRES", "1") == "0":
        yield None
        return
    if not pg.available():
        if os.environ.get("TESSERA_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL binaries not found in {pg.PG_BIN}")
        yield None
        return
    cluster = pg.PostgresCluster()
    cluster.start()
    try:
        cluster.psql("CREATE DATABASE tessera_template")
        _make_template(cluster.url("tessera_template"))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tessera.db"
    _make_template(f"sqlite:///{path}")
    return path


def fresh_postgres_url(cluster: pg.PostgresCluster) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE tessera_template")
    return cluster.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres: pg.PostgresCluster | None,
) -> str:
    """A migrated database with signing keys, fresh for this test."""
    if request.param == "sqlite":
        path = tmp_path / "tessera.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres is None:
        pytest.skip("PostgreSQL is not available (TESSERA_TEST_POSTGRES=0 or no binaries)")
    return fresh_postgres_url(postgres)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        issuer=ISSUER,
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
    )


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[Starlette]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def rt(app: Starlette) -> Runtime:
    """The app's runtime (store, key ring, settings)."""
    value: Runtime = app.state.runtime
    return value


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        yield http
