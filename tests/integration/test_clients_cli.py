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
    deleted = tessera.cli("apis", "delete", "--yes", API).stdout.strip()
    assert deleted == f"deleted API {API}: revoked 0 grant(s), forgot 0 consent(s)"
    again = tessera.cli("apis", "delete", "--yes", API, check=False)
    assert again.returncode == 1 and again.stderr.strip() == f"error: no API '{API}'"


def test_a_browser_clients_web_origins_and_lifetimes_are_set_shown_and_updated(
    tessera: TesseraServer,
) -> None:
    spa = tessera.cli_json(
        "clients", "create", "--name", "SPA", "--public",
        "--redirect-uri", "https://spa.example.test/cb",
        "--web-origin", "HTTPS://SPA.example.test", "--web-origin", "http://127.0.0.1:5173",
        "--refresh-sliding-lifetime", "3600",
    )  # fmt: skip
    assert spa["web_origins"] == ["https://spa.example.test", "http://127.0.0.1:5173"]
    assert spa["web_origins_from_redirect_uris"] is False
    assert spa["refresh_sliding_lifetime"] == 3600 and spa["refresh_absolute_lifetime"] is None
    updated = tessera.cli_json(
        "clients", "update", spa["client_id"], "--web-origin", "https://new.example.test",
        "--refresh-absolute-lifetime", "86400",
    )  # fmt: skip
    assert updated["web_origins"] == ["https://new.example.test"]
    assert updated["refresh_sliding_lifetime"] == 3600
    assert tessera.cli_json("clients", "show", spa["client_id"]) == updated
    reset = tessera.cli_json(
        "clients", "update", spa["client_id"], "--web-origins-from-redirect-uris"
    )
    assert reset["web_origins"] == ["https://spa.example.test"]
    assert reset["web_origins_from_redirect_uris"] is True
    shown = tessera.cli("clients", "show", spa["client_id"]).stdout
    assert "https://spa.example.test" in shown


def test_a_bad_web_origin_or_lifetime_is_one_line(tessera: TesseraServer) -> None:
    refused = tessera.cli(
        "clients", "create", "--name", "SPA", "--public",
        "--redirect-uri", "https://spa.example.test/cb", "--web-origin", "https://*.example.test",
        check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: web origin 'https://*.example.test' has a wildcard: register each origin exactly"
    ]
    spa = tessera.cli_json(
        "clients", "create", "--name", "SPA", "--public",
        "--redirect-uri", "https://spa.example.test/cb",
    )  # fmt: skip
    too_short = tessera.cli(
        "clients", "update", spa["client_id"], "--refresh-sliding-lifetime", "10", check=False
    )
    assert too_short.returncode == 2 and too_short.stderr.startswith("error: refresh sliding")
    missing = tessera.cli(
        "clients", "update", "nope", "--web-origin", "https://a.test", check=False
    )
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no client 'nope'"
    assert tessera.cli_json("clients", "show", spa["client_id"])["refresh_sliding_lifetime"] is None


def test_a_secret_is_rotated_with_an_overlap_and_a_public_client_has_none(
    tessera: TesseraServer,
) -> None:
    app = tessera.cli_json(
        "clients", "create", "--name", "Web", "--redirect-uri", "https://web.test/cb"
    )
    rotated = tessera.cli_json("clients", "rotate-secret", app["client_id"], "--overlap", "60")
    assert rotated["client_secret"].startswith("tsr_cs_")
    assert rotated["client_secret"] != app["client_secret"]
    shown = tessera.cli_json("clients", "show", app["client_id"])
    assert shown["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]
    public = tessera.cli_json(
        "clients", "create", "--name", "SPA", "--public", "--redirect-uri", "https://spa.test/cb"
    )
    refused = tessera.cli("clients", "rotate-secret", public["client_id"], check=False)
    assert refused.returncode == 2
    assert refused.stderr == "error: a public client has no secret to rotate\n"


def test_an_api_is_updated_and_a_bad_value_is_one_line(tessera: TesseraServer) -> None:
    updated = tessera.cli_json(
        "apis", "update", API, "--scope", "read:x=Read X", "--scope", "write:x",
        "--access-token-lifetime", "600",
    )  # fmt: skip
    assert [s["name"] for s in updated["scopes"]] == ["read:x", "write:x"]
    assert updated["access_token_lifetime"] == 600 and updated["signing_alg"] == "RS256"
    bad = tessera.cli("apis", "update", API, "--access-token-lifetime", "5", check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "lifetime" in bad.stderr
    missing = tessera.cli("apis", "update", "https://nowhere.test", check=False)
    assert missing.returncode == 1 and missing.stderr == "error: no API 'https://nowhere.test'\n"
