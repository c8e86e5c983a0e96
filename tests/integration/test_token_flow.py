"""The token half of the seed flow against a real `tessera serve`, driven by Authlib.

Provisioning goes through the real CLI; Authlib's `OAuth2Client` builds the
authorization request (PKCE S256) and then redeems, refreshes, revokes and introspects
over HTTP. In between, the user signs in and allows on tessera's real login and consent
pages, driven over HTTP as a browser would. The ID token is checked with joserfc
against the JWKS the server publishes, independently of tessera's own JWT code.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from tessera.crypto.tokens import b64url
from tests.conftest import TEST_SECRET_KEY
from tests.support.authorize import PASSWORD, callback, follow, sign_in, submit
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

API = "https://api.example.test"
SCOPE = "openid profile email offline_access read:x"


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[TesseraServer]:
    instance = TesseraServer(
        tmp_path / "data",
        database_url,
        TESSERA_SECRET_KEY=TEST_SECRET_KEY,
        TESSERA_KEY_CACHE_TTL="0",
    )
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def http_clients() -> Iterator[ExitStack]:
    """Closes the Authlib clients a test opens."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def provisioned(server: TesseraServer) -> dict[str, Any]:
    """A native public client, a user, an API and its back end (a resource server)."""
    native = server.cli_json(
        "clients", "create", "--name", "Native", "--public",
        "--redirect-uri", "http://127.0.0.1/callback",
    )  # fmt: skip
    user = server.cli_json(
        "users", "create", "--username", "alice", "--email", "alice@example.test",
        "--name", "Alice", input=f"{PASSWORD}\n",
    )  # fmt: skip
    server.cli("apis", "create", "--identifier", API, "--scope", "read:x")
    api_client = server.cli_json(
        "clients", "create", "--name", "Orders API", "--resource-server", API
    )
    return {"native": native, "api_client": api_client, "user": user}


def native_client(client_id: str, redirect_uri: str) -> OAuth2Client:
    """A public client, as a native app registers it: PKCE S256, no secret."""
    return OAuth2Client(
        client_id=client_id,
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
        code_challenge_method="S256",
        redirect_uri=redirect_uri,
        scope=SCOPE,
    )


async def approve(server: TesseraServer, authorization_url: str) -> str:
    """The user signs in and allows through the real pages; the code from the redirect."""
    request = dict(parse_qsl(urlsplit(authorization_url).query))
    assert request["code_challenge_method"] == "S256"
    async with httpx.AsyncClient(base_url=server.issuer) as browser:
        login_page = await follow(browser, await browser.get(authorization_url))
        consent_page = await follow(browser, await sign_in(browser, login_page))
        answer = callback(
            await submit(browser, consent_page, decision="allow"), request["redirect_uri"]
        )
    assert answer["state"] == request["state"] and answer["iss"] == server.issuer
    return answer["code"]


def verify_id_token(
    id_token: str, access_token: str, server: TesseraServer, client_id: str, nonce: str
) -> dict[str, Any]:
    """OIDC Core 3.1.3.7, with joserfc and the published JWKS."""
    metadata = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    keys = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    token = jwt.decode(id_token, keys, algorithms=metadata["id_token_signing_alg_values_supported"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": server.issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    assert token.header["alg"] == "RS256"
    left_half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    assert token.claims["at_hash"] == b64url(left_half)
    claims: dict[str, Any] = token.claims
    return claims


async def test_authlib_completes_the_code_flow_and_the_token_lifecycle(
    server: TesseraServer, provisioned: dict[str, Any], http_clients: ExitStack
) -> None:
    metadata = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    native_id = provisioned["native"]["client_id"]
    port = 40000 + secrets.randbelow(20000)  # Loopback redirect: any port (RFC 8252 7.3).
    oauth = http_clients.enter_context(
        native_client(native_id, f"http://127.0.0.1:{port}/callback")
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, audience=API
    )
    code = await approve(server, url)

    token = oauth.fetch_token(metadata["token_endpoint"], code=code, code_verifier=verifier)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 86400
    claims = verify_id_token(token["id_token"], token["access_token"], server, native_id, nonce)
    assert claims["sub"] == provisioned["user"]["id"] and claims["email"] == "alice@example.test"

    userinfo = oauth.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == claims["sub"] and userinfo.json()["name"] == "Alice"

    first_refresh = token["refresh_token"]
    rotated = oauth.refresh_token(metadata["token_endpoint"], refresh_token=first_refresh)
    assert rotated["refresh_token"] != first_refresh
    with pytest.raises(OAuthError) as reused:
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=first_refresh)
    assert reused.value.error == "invalid_grant"
    # Reuse revoked the family: the rotated token is dead too.
    with pytest.raises(OAuthError):
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=rotated["refresh_token"])


async def test_revocation_and_introspection_over_http(
    server: TesseraServer, provisioned: dict[str, Any], http_clients: ExitStack
) -> None:
    metadata = httpx.get(f"{server.issuer}/.well-known/openid-configuration").json()
    native_id = provisioned["native"]["client_id"]
    oauth = http_clients.enter_context(native_client(native_id, "http://127.0.0.1:8123/callback"))
    resource_server = http_clients.enter_context(
        OAuth2Client(
            client_id=provisioned["api_client"]["client_id"],
            client_secret=provisioned["api_client"]["client_secret"],
            token_endpoint_auth_method="client_secret_basic",
        )
    )
    verifier = generate_token(48)
    url, _ = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce="n", audience=API
    )
    code = await approve(server, url)
    token = oauth.fetch_token(metadata["token_endpoint"], code=code, code_verifier=verifier)

    active = resource_server.introspect_token(
        metadata["introspection_endpoint"], token=token["access_token"]
    ).json()
    assert active["active"] is True and active["client_id"] == native_id
    assert API in active["aud"] and "read:x" in active["scope"].split()

    revoked = oauth.revoke_token(
        metadata["revocation_endpoint"],
        token=token["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200
    for probe in (token["access_token"], token["refresh_token"]):
        answer = resource_server.introspect_token(metadata["introspection_endpoint"], token=probe)
        assert answer.json() == {"active": False}
    assert oauth.get(metadata["userinfo_endpoint"]).status_code == 401
