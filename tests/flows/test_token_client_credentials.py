"""POST /oauth/token with grant_type=client_credentials: a machine client's API token."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import GrantType
from tessera.crypto.keys import Algorithm
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.grants import API_ID, RegisteredClient, add_api, add_client, authenticate
from tests.support.tokens import claims_of, header_of


@pytest.fixture
async def machine(rt: Runtime) -> RegisteredClient:
    await add_api(rt.store, scopes=("read:x", "write:x"), lifetime=3600, alg=Algorithm.ES256)
    return await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )


async def ask(http: httpx.AsyncClient, client: RegisteredClient, **params: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", **params}
    return await http.post("/oauth/token", data=form, headers=authenticate(client, form))


async def test_a_machine_client_gets_an_api_token_and_nothing_else(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient, clock: Clock
) -> None:
    response = await ask(client, machine, audience=API_ID)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["expires_in"] == 3600 and body["scope"] == "read:x write:x"
    assert header_of(body["access_token"]) | {"kid": ""} == {
        "alg": "ES256",
        "typ": "at+jwt",
        "kid": "",
    }
    claims = claims_of(body["access_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["sub"] == machine.client_id == claims["client_id"]
    assert claims["aud"] == API_ID and "auth_time" not in claims and "." not in claims["jti"]


async def test_resource_names_the_api_too_and_scope_narrows(
    client: httpx.AsyncClient, machine: RegisteredClient
) -> None:
    response = await ask(client, machine, resource=API_ID, scope="read:x")
    assert response.status_code == 200 and response.json()["scope"] == "read:x"
    same = await ask(client, machine, resource=API_ID, audience=API_ID)
    assert same.status_code == 200


async def test_allowed_scopes_limit_what_a_client_gets(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient
) -> None:
    limited = await add_client(
        rt.store,
        grant_types=[GrantType.CLIENT_CREDENTIALS],
        redirect_uris=(),
        allowed_scopes=["read:x"],
        apis=[API_ID],
    )
    assert (await ask(client, limited, audience=API_ID)).json()["scope"] == "read:x"
    refused = await ask(client, limited, audience=API_ID, scope="write:x")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, "invalid_request"),
        ({"audience": API_ID, "resource": "https://other.test"}, "invalid_request"),
        ({"audience": "https://unknown.test"}, "invalid_target"),
        ({"audience": API_ID, "scope": "openid"}, "invalid_scope"),
        ({"audience": API_ID, "scope": "read:x  write:x"}, "invalid_scope"),
    ],
    ids=["no-audience", "two-targets", "unknown-api", "not-an-api-scope", "malformed-scope"],
)
async def test_bad_requests_are_refused(
    client: httpx.AsyncClient, machine: RegisteredClient, params: dict[str, str], error: str
) -> None:
    response = await ask(client, machine, **params)
    assert response.status_code == 400 and response.json()["error"] == error


async def test_a_client_without_the_grant_is_unauthorized(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient
) -> None:
    web_app = await add_client(rt.store)
    response = await ask(client, web_app, audience=API_ID)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
