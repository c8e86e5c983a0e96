"""One `tessera serve` per engine for the whole conformance package, provisioned once
through the CLI; each test gets a fresh browser (no session) and its relying parties."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY, fresh_postgres_url
from tests.support import postgres as pg
from tests.support.relying_party import OpenIDProvider, RelyingParty, provision
from tests.support.server import TesseraServer


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def op(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: pg.PostgresCluster | None,
) -> Iterator[OpenIDProvider]:
    database_url = None
    if request.param == "postgresql":
        if postgres is None:
            pytest.skip("PostgreSQL is not available (TESSERA_TEST_POSTGRES=0 or no binaries)")
        database_url = fresh_postgres_url(postgres)
    data_dir: Path = tmp_path_factory.mktemp(f"op-{request.param}")
    server = TesseraServer(
        data_dir, database_url, TESSERA_SECRET_KEY=TEST_SECRET_KEY, TESSERA_LOG_LEVEL="debug"
    )
    server.start()
    try:
        yield provision(server)
    finally:
        server.stop()


@pytest.fixture
def browser(op: OpenIDProvider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=op.server.issuer, follow_redirects=False) as http:
        yield http


@pytest.fixture(params=["client_secret_basic", "client_secret_post"])
def any_rp(
    request: pytest.FixtureRequest, op: OpenIDProvider, browser: httpx.Client
) -> RelyingParty:
    """The test runs once per client authentication method."""
    return RelyingParty(op, op.clients[request.param], browser)


@pytest.fixture
def rp(op: OpenIDProvider, browser: httpx.Client) -> RelyingParty:
    """The suite's default variant: client_secret_basic."""
    return RelyingParty(op, op.clients["client_secret_basic"], browser)
