"""`tessera clients create --api / --resource-server` and `tessera apis delete` through
the real CLI: what is granted shows in `clients show` and `list --json`, an unknown API
is one line, and deleting an API says what it revoked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

API = "https://api.example.test"


@pytest.fixture
def tessera(tmp_path: Path) -> TesseraServer:
    instance = TesseraServer(tmp_path / "data")
    instance.cli("db", "upgrade")
    instance.cli("apis", "create", "--identifier", API, "--scope", "read:x")
    return instance


def test_a_clients_api_access_is_granted_and_shown(tessera: TesseraServer) -> None:
    machine = tessera.cli_json(
        "clients", "create", "--name", "Worker", "--grant-type", "client_credentials",
        "--api", API, "--allowed-scope", "read:x",
    )  # fmt: skip
    back_end = tessera.cli_json(
        "clients", "create", "--name", "Orders API", "--resource-server", API
    )
    shown = tessera.cli_json("clients", "show", machine["client_id"])
    assert shown["apis"] == [API] and shown["resource_server_for"] == []
    assert shown["token_endpoint_auth_method"] == "client_secret_basic"
    assert shown["accepted_auth_methods"] == ["client_secret_basic", "client_secret_post"]
    listed = {view["client_id"]: view for view in tessera.cli_json("clients", "list")}
    assert listed[back_end["client_id"]]["resource_server_for"] == [API]
    assert listed[back_end["client_id"]]["apis"] == []
    assert listed[back_end["client_id"]]["grant_types"] == []


def test_an_unknown_api_is_one_line_and_creates_nothing(tessera: TesseraServer) -> None:
    for option in ("--api", "--resource-server"):
        refused = tessera.cli(
            "clients", "create", "--name", "Worker", "--grant-type", "client_credentials",
            option, "https://unknown.test", check=False,
        )  # fmt: skip
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr.strip().splitlines() == [
            "error: no API 'https://unknown.test': create it first with `tessera apis create`"
        ]
    assert tessera.cli_json("clients", "list") == []


def test_deleting_an_api_says_what_it_revoked(tessera: TesseraServer) -> None:
    deleted = tessera.cli("apis", "delete", API).stdout.strip()
    assert deleted == f"deleted API {API}: revoked 0 grant(s), forgot 0 consent(s)"
    again = tessera.cli("apis", "delete", API, check=False)
    assert again.returncode == 1 and again.stderr.strip() == f"error: no API '{API}'"
