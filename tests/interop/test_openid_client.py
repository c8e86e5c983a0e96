"""The seed flow with panva's openid-client (npm, v6) as the client, run by node.

openid-client is OpenID-certified and strict: it reads the discovery document, sends
PKCE S256, checks `state` and RFC 9207 `iss` on the redirect, validates the id_token
(signature against the JWKS, iss, aud, exp, nonce), matches the userinfo `sub`, and
refreshes. The person between the authorization request and the redirect is this test,
signing in and consenting through tessera's real forms over HTTP. It runs once per ID
token algorithm a client can choose (RS256, ES256, EdDSA).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tessera.crypto.keys import decode_b64url
from tests.conftest import TEST_SECRET_KEY
from tests.support.native_app import (
    API,
    NativeApp,
    answer_in_browser,
    register_native_app,
    register_native_client,
)
from tests.support.node import node_or_skip, openid_client_prefix
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).with_name("openid_client_flow.mjs")
SCOPE = "openid profile email offline_access read:x"
REDIRECT_URI = "http://127.0.0.1:53682/callback"  # Any port: the app registered none.
STEP_TIMEOUT = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TesseraServer]:
    # One engine is enough: this test is about the wire protocol, not storage.
    data_dir = tmp_path_factory.mktemp("interop") / "data"
    instance = TesseraServer(
        data_dir, TESSERA_SECRET_KEY=TEST_SECRET_KEY, TESSERA_SIGNING_ALGORITHMS="RS256,ES256,EdDSA"
    )
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def alice(server: TesseraServer) -> NativeApp:
    return register_native_app(server)


@pytest.fixture(params=["RS256", "ES256", "EdDSA"])
def app(request: pytest.FixtureRequest, server: TesseraServer, alice: NativeApp) -> NativeApp:
    """A client of its own per ID token algorithm, which openid-client is told to expect."""
    client_id = register_native_client(server, "--id-token-alg", request.param)
    return NativeApp(client_id=client_id, user_id=alice.user_id, id_token_alg=request.param)


@pytest.fixture(scope="module", autouse=True)
def openid_client() -> tuple[str, Path]:
    """node, and the npm prefix holding openid-client: checked before a server starts."""
    return node_or_skip(), openid_client_prefix()


@pytest.fixture
async def relying_party(
    openid_client: tuple[str, Path], server: TesseraServer, app: NativeApp
) -> AsyncIterator[tuple[asyncio.subprocess.Process, NativeApp]]:
    """The node script, configured for the native app."""
    node, modules = openid_client
    config = {
        "modules": str(modules),
        "issuer": server.issuer,
        "clientId": app.client_id,
        "idTokenAlg": app.id_token_alg,
        "redirectUri": REDIRECT_URI,
        "scope": SCOPE,
        "audience": API,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        env={**server.env, "INTEROP_CONFIG": json.dumps(config)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    yield process, app
    if process.returncode is None:
        process.kill()
    await process.wait()


async def read_message(process: asyncio.subprocess.Process) -> dict[str, Any]:
    """The script's next JSON line; its stderr if it has none or reports an error."""
    assert process.stdout is not None and process.stderr is not None
    line = await asyncio.wait_for(process.stdout.readline(), STEP_TIMEOUT)
    if not line:
        stderr = await asyncio.wait_for(process.stderr.read(), STEP_TIMEOUT)
        pytest.fail(f"openid-client script ended: {stderr.decode(errors='replace')}")
    message: dict[str, Any] = json.loads(line)
    assert "error" not in message, message
    return message


async def test_openid_client_completes_discovery_pkce_code_userinfo_and_refresh(
    server: TesseraServer, relying_party: tuple[asyncio.subprocess.Process, NativeApp]
) -> None:
    process, app = relying_party
    start = await read_message(process)
    request = dict(parse_qsl(urlsplit(start["authorization_url"]).query))
    assert request["code_challenge_method"] == "S256" and request["code_challenge"]
    assert start["authorization_url"].startswith(f"{server.issuer}/authorize?")

    landed = await answer_in_browser(server.issuer, start["authorization_url"])
    assert landed.startswith(REDIRECT_URI + "?")
    assert dict(parse_qsl(urlsplit(landed).query))["iss"] == server.issuer
    assert process.stdin is not None
    process.stdin.write(landed.encode() + b"\n")
    await process.stdin.drain()
    result = await read_message(process)
    assert await asyncio.wait_for(process.wait(), STEP_TIMEOUT) == 0, server.log()

    assert result["metadata"]["issuer"] == server.issuer
    header = json.loads(decode_b64url(result["tokens"]["id_token"].split(".")[0]))
    assert header["alg"] == app.id_token_alg  # openid-client was told to accept only it.
    claims = result["id_token_claims"]
    assert claims["iss"] == server.issuer and claims["aud"] == app.client_id
    assert claims["sub"] == app.user_id and claims["nonce"] == start["nonce"]
    assert result["tokens"]["token_type"].lower() == "bearer"
    assert set(result["tokens"]["scope"].split()) == set(SCOPE.split())
    for userinfo in (result["userinfo"], result["userinfo_after_refresh"]):
        assert userinfo["sub"] == app.user_id
        assert userinfo["email"] == "alice@example.test" and userinfo["name"] == "Alice"

    refreshed = result["refreshed"]
    assert refreshed["access_token"] != result["tokens"]["access_token"]
    assert refreshed["refresh_token"] != result["tokens"]["refresh_token"]
    if result["refreshed_id_token_claims"] is not None:
        assert result["refreshed_id_token_claims"]["sub"] == app.user_id
    # The first refresh token was rotated away; presenting it again is refused.
    assert result["reused_refresh_token_error"] == "invalid_grant"
