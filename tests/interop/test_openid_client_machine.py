"""A machine client with panva's openid-client (npm, v6) and its defaults, run by node.

Registered without `--token-endpoint-auth-method`, the client may use either secret
method; openid-client sends `client_secret_post` unless told otherwise. It gets a
client_credentials token for the one API it was granted (`--api`) and introspects it:
its own token is active to it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.support.node import node_or_skip, openid_client_prefix
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).with_name("openid_client_machine.mjs")
API = "https://api.example.test"
TIMEOUT = 60


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path / "data", TESSERA_SECRET_KEY=TEST_SECRET_KEY)
    instance.start()
    yield instance
    instance.stop()


def test_openid_client_defaults_get_and_introspect_a_machine_token(
    server: TesseraServer,
) -> None:
    node, modules = node_or_skip(), openid_client_prefix()
    server.cli("apis", "create", "--identifier", API, "--scope", "read:x")
    machine = server.cli_json(
        "clients", "create", "--name", "Worker", "--grant-type", "client_credentials",
        "--api", API,
    )  # fmt: skip
    config = {
        "modules": str(modules),
        "issuer": server.issuer,
        "clientId": machine["client_id"],
        "clientSecret": machine["client_secret"],
        "audience": API,
    }
    done = subprocess.run(
        [node, str(SCRIPT)],
        env={**server.env, "INTEROP_CONFIG": json.dumps(config)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr + server.log()
    result = json.loads(done.stdout)
    assert result["tokens"]["token_type"].lower() == "bearer"
    assert result["tokens"]["scope"] == "read:x"
    introspection = result["introspection"]
    assert introspection["active"] is True and introspection["aud"] == API
    assert introspection["client_id"] == introspection["sub"] == machine["client_id"]
