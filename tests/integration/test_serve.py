"""The real `tessera serve` process, provisioned through the real CLI."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.crypto.jwt import JWTError, build_key_set, sign_jwt, verify_jwt
from tessera.crypto.keys import Algorithm, open_private_key
from tests.support.postgres import free_port
from tests.support.server import TESSERA, TesseraServer, epoch

pytestmark = pytest.mark.integration

PUBLISH_AHEAD = 2
ED_ID_TOKENS = ("--id-token-alg", "EdDSA")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TesseraServer]:
    instance = TesseraServer(
        tmp_path / "data", TESSERA_KEY_CACHE_TTL="0", TESSERA_KEY_PUBLISH_AHEAD=str(PUBLISH_AHEAD)
    )
    instance.start()
    yield instance
    instance.stop()


def test_serve_answers_discovery_and_cli_provisions(server: TesseraServer) -> None:
    created = server.cli_json(
        "clients", "create", "--name", "Web App", "--redirect-uri", "https://app.test/callback"
    )
    assert created["client_secret"].startswith("tsr_cs_")
    public = server.cli_json(
        "clients", "create", "--name", "CLI", "--redirect-uri", "http://127.0.0.1/cb", "--public"
    )
    assert "client_secret" not in public
    server.cli(
        "users",
        "create",
        "--username",
        "alice",
        "--email",
        "alice@example.test",
        input="correct horse battery\n",
    )
    server.cli("apis", "create", "--identifier", "https://api.example.test", "--scope", "read:x")
    listed = server.cli_json("clients", "list")
    assert {c["client_id"] for c in listed} == {created["client_id"], public["client_id"]}
    document = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    assert document["issuer"] == server.issuer


def test_cli_errors_are_one_line_and_non_zero(server: TesseraServer) -> None:
    bad = server.cli("clients", "create", "--name", "X", "--redirect-uri", "not a uri", check=False)
    assert bad.returncode != 0 and bad.stderr.strip().startswith("error:")
    assert len(bad.stderr.strip().splitlines()) == 1
    server.cli("users", "create", "--username", "bob", "--password", "long enough pw")
    again = server.cli(
        "users", "create", "--username", "BOB", "--password", "long enough pw", check=False
    )
    assert again.returncode == 1 and "already taken" in again.stderr
    missing = server.cli("clients", "show", "nope", check=False)
    assert missing.returncode == 1 and "no client" in missing.stderr
    # Ids are base64url: one starting with "-" is an id, not an unknown option.
    for command in (("clients", "show"), ("clients", "delete", "--yes"), ("keys", "retire")):
        dashed = server.cli(*command, "-_0DVEMe6yiH7SztbYeBm", check=False)
        lines = dashed.stderr.strip().splitlines()
        assert dashed.returncode == 1 and len(lines) == 1, dashed.stderr
        assert lines[0].startswith("error: no ") and "'-_0DVEMe6yiH7SztbYeBm'" in lines[0]


def _rs256_keys(server: TesseraServer) -> dict[str, dict[str, Any]]:
    """The RS256 keys that are not retired, by state."""
    return {k["state"]: k for k in server.cli_json("keys", "list") if k["alg"] == "RS256"}


def _published_kids(server: TesseraServer) -> set[str]:
    document = httpx.get(f"{server.issuer}/.well-known/jwks.json").json()
    return {key["kid"] for key in document["keys"]}


def test_token_signed_with_current_key_verifies_with_published_jwks_across_rotation(
    server: TesseraServer,
) -> None:
    import sqlite3

    def signing_key(kid: str):  # type: ignore[no-untyped-def]
        db = sqlite3.connect(server.env["TESSERA_DATA_DIR"] + "/tessera.db")
        (sealed,) = db.execute(
            "SELECT sealed_private_key FROM signing_keys WHERE kid = ?", (kid,)
        ).fetchone()
        db.close()
        return open_private_key(sealed, kid, Algorithm.RS256, server.env["TESSERA_SECRET_KEY"])

    now = int(time.time())
    claims = {"iss": server.issuer, "aud": "x", "exp": now + 60}
    old_kid = _rs256_keys(server)["current"]["kid"]
    old_token = sign_jwt(claims, signing_key(old_kid))

    def published() -> list[dict[str, str]]:
        keys: list[dict[str, str]] = httpx.get(f"{server.issuer}/.well-known/jwks.json").json()[
            "keys"
        ]
        return keys

    verify_jwt(
        old_token, build_key_set(published()), issuer=server.issuer, audience="x", typ=None, now=now
    )
    rotated = server.cli_json("keys", "rotate", "--alg", "RS256")
    assert rotated["state"] == "next" and rotated["kid"] != old_kid
    activates_at = epoch(rotated["activates_at"])
    assert activates_at == epoch(rotated["created_at"]) + PUBLISH_AHEAD
    # Only a server switches keys, when it rereads them: none has been asked anything yet.
    assert _rs256_keys(server)["current"]["kid"] == old_kid
    again = server.cli("keys", "rotate", "--alg", "RS256", check=False)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert f"key {rotated['kid']} is already next" in again.stderr
    assert {old_kid, rotated["kid"]} <= _published_kids(server)  # Published before it signs.

    time.sleep(max(0.0, activates_at - time.time()) + 1)
    assert {old_kid, rotated["kid"]} <= _published_kids(server)  # The server switched here.
    (activated,) = [
        event
        for event in server.cli_json("audit", "tail", "-n", "100")
        if event["event"] == "key.activated"
    ]
    assert activated["detail"]["kid"] == rotated["kid"]
    assert epoch(activated["at"]) >= activates_at  # Never before its time.
    keys = _rs256_keys(server)
    assert keys["current"]["kid"] == rotated["kid"]
    assert keys["published"]["kid"] == old_kid
    assert epoch(keys["published"]["retires_at"]) > now + 86_400
    new_token = sign_jwt(claims, signing_key(rotated["kid"]))
    for token in (old_token, new_token):
        verify_jwt(
            token, build_key_set(published()), issuer=server.issuer, audience="x", typ=None, now=now
        )
    server.cli("keys", "retire", old_kid)
    assert old_kid not in _published_kids(server)
    with pytest.raises(JWTError):
        verify_jwt(
            old_token,
            build_key_set(published()),
            issuer=server.issuer,
            audience="x",
            typ=None,
            now=now,
        )
    refused = server.cli("keys", "retire", rotated["kid"], check=False)
    assert refused.returncode == 1 and "current key cannot be retired" in refused.stderr


def test_keys_rotate_now_signs_at_once_and_keeps_the_old_key_published(
    server: TesseraServer,
) -> None:
    old_kid = _rs256_keys(server)["current"]["kid"]
    upcoming = server.cli_json("keys", "rotate", "--alg", "RS256")["kid"]
    emergency = server.cli_json("keys", "rotate", "--alg", "RS256", "--now")
    assert emergency["state"] == "current" and emergency["replaced"]["kid"] == old_kid
    keys = _rs256_keys(server)
    assert keys["current"]["kid"] == emergency["kid"] and "next" not in keys
    assert keys["published"]["kid"] == old_kid
    kids = _published_kids(server)
    assert {old_kid, emergency["kid"]} <= kids and upcoming not in kids


def test_disabled_algorithms_are_refused_with_one_line(server: TesseraServer) -> None:
    for attempt in (
        ("clients", "create", "--name", "X", "--redirect-uri", "https://x.test/cb", *ED_ID_TOKENS),
        ("apis", "create", "--identifier", "https://api.x.test", "--signing-alg", "EdDSA"),
        ("keys", "rotate", "--alg", "EdDSA"),
    ):
        refused = server.cli(*attempt, check=False)
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode != 0 and len(lines) == 1, refused.stderr
        assert "EdDSA is not enabled: add it to TESSERA_SIGNING_ALGORITHMS" in lines[0]
    subprocess.run(
        [*TESSERA, "clients", "create", "--name", "E", "--redirect-uri", "https://e.test/cb"]
        + list(ED_ID_TOKENS),
        env={**server.env, "TESSERA_SIGNING_ALGORITHMS": "RS256,ES256,EdDSA"},
        check=True,
        capture_output=True,
        timeout=60,
    )
    # A node that does not enable EdDSA, which a client now uses, does not start.
    start = server.cli("serve", "--port", str(free_port()), check=False)
    lines = start.stderr.strip().splitlines()
    assert start.returncode == 1 and len(lines) == 1, start.stderr
    assert lines[0].startswith("error: TESSERA_SIGNING_ALGORITHMS (now RS256, ES256) leaves out")
