"""The admin API's OpenAPI document against a live `tessera serve` with a real admin
token, driven by schemathesis (valid and invalid requests for every operation): no
answer is a server error, and each matches what the document says. Bounded to a few
examples per operation, so it runs in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from tessera.web.admin.openapi import DOCUMENT
from tests.integration.test_openapi import CHECKS
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path_factory.mktemp("admin-openapi"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def admin_headers(server: TesseraServer) -> dict[str, str]:
    admin_api = f"{server.issuer}/admin"
    ops = server.cli_json(
        "clients",
        "create",
        "--name",
        "ops",
        "--grant-type",
        "client_credentials",
        "--api",
        admin_api,
        "--allowed-scope",
        "admin:read",
        "--allowed-scope",
        "admin:write",
    )
    response = httpx.post(
        f"{server.issuer}/oauth/token",
        data={"grant_type": "client_credentials", "audience": admin_api},
        auth=(ops["client_id"], ops["client_secret"]),
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_the_document_is_served_as_shipped(server: TesseraServer) -> None:
    served = httpx.get(f"{server.issuer}/admin/v1/openapi.json")
    assert served.headers["content-type"] == "application/json"
    assert served.content == DOCUMENT.read_bytes()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_live_admin_api_answers_as_documented(
    case: schemathesis.Case[Any], server: TesseraServer, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(base_url=server.issuer, headers=admin_headers, checks=CHECKS)
