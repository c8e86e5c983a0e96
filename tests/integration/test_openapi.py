"""docs/openapi.yaml against a live `tessera serve`, driven by schemathesis.

Schemathesis generates requests from the document, valid and invalid, for every
operation; each answer must not be a server error and must match what the document
says: its status codes, content types, headers and body schemas. So the document stays
true and the endpoints stay within it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import TEST_SECRET_KEY
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.yaml"
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path_factory.mktemp("openapi"), TESSERA_SECRET_KEY=TEST_SECRET_KEY)
    instance.start()
    yield instance
    instance.stop()


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_live_server_answers_as_documented(
    case: schemathesis.Case[Any], server: TesseraServer
) -> None:
    case.call_and_validate(base_url=server.issuer, checks=CHECKS)
