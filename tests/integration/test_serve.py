"""The real `tessera serve` process, provisioned through the real CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tessera.crypto.jwt import JWTError, build_key_set, sign_jwt, verify_jwt
from tessera.crypto.keys import Algorithm, open_private_key
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TesseraServer]:
    instance = TesseraServer(tmp_path / "data", TESSERA_KEY_CACHE_TTL="0")
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
    for command in (("clients", "show"), ("clients", "delete"), ("keys", "retire")):
        dashed = server.cli(*command, "-_0DVEMe6yiH7SztbYeBm", check=False)
        lines = dashed.stderr.strip().splitlines()
        assert dashed.returncode == 1 and len(lines) == 1, dashed.stderr
        assert lines[0].startswith("error: no ") and "'-_0DVEMe6yiH7SztbYeBm'" in lines[0]


def _current_rs256_key(server: TesseraServer):  # type: ignore[no-untyped-def]
    keys = server.cli_json("keys", "list")
    current = next(k for k in keys if k["alg"] == "RS256" and k["state"] == "current")
    return current["kid"]


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
    old_kid = _current_rs256_key(server)
    old_token = sign_jwt(claims, signing_key(old_kid))

    def published() -> list[dict[str, str]]:
        return json.loads(httpx.get(f"{server.issuer}/.well-known/jwks.json").text)["keys"]

    verify_jwt(
        old_token, build_key_set(published()), issuer=server.issuer, audience="x", typ=None, now=now
    )
    rotated = server.cli_json("keys", "rotate", "--alg", "RS256")
    assert rotated["kid"] != old_kid
    kids = {k["kid"] for k in published()}
    assert {old_kid, rotated["kid"]} <= kids
    new_token = sign_jwt(claims, signing_key(rotated["kid"]))
    for token in (old_token, new_token):
        verify_jwt(
            token, build_key_set(published()), issuer=server.issuer, audience="x", typ=None, now=now
        )
    server.cli("keys", "retire", old_kid)
    assert old_kid not in {k["kid"] for k in published()}
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
