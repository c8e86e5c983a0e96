"""tessera.resource and the sample API against the real authorization server, in process:
keys from its discovery document, tokens from its token endpoint, strict mode through
its introspection endpoint (seed steps 12-13)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tessera.core.models import AuthMethod
from tessera.demo.api import create_api_app
from tessera.resource import BearerTokenValidator, Introspection, InvalidTokenError
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.grants import (
    API_ID,
    USER,
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    authenticate,
    obtain_tokens,
)
from tests.support.tokens import bearer

SCOPES = ("openid", "offline_access", "read:messages")


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    await add_user(rt.store)
    await add_api(rt.store, scopes=("read:messages", "write:messages"))
    return await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_BASIC)


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, app_client, now=int(clock.now), scope=SCOPES)


@pytest.fixture
async def strict(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock, app_client: RegisteredClient
) -> BearerTokenValidator:
    """The API's validator in strict mode, as the API's registered back end (app_client
    has created the API)."""
    resource_server = await add_client(rt.store, redirect_uris=(), resource_server_for=[API_ID])
    assert resource_server.secret is not None
    credentials = Introspection(resource_server.client_id, resource_server.secret)
    return BearerTokenValidator(
        ISSUER, API_ID, http_client=client, clock=clock, introspection=credentials
    )


async def test_a_token_from_the_token_endpoint_is_accepted(
    client: httpx.AsyncClient, tokens: dict[str, Any], clock: Clock
) -> None:
    validator = BearerTokenValidator(ISSUER, API_ID, http_client=client, clock=clock)
    token = await validator.verify(tokens["access_token"], scopes=["read:messages"])
    assert token.sub == USER.id and set(SCOPES) <= set(token.scopes)


async def test_strict_mode_sees_a_revocation_that_plain_mode_cannot(
    client: httpx.AsyncClient,
    app_client: RegisteredClient,
    tokens: dict[str, Any],
    strict: BearerTokenValidator,
    clock: Clock,
) -> None:
    plain = BearerTokenValidator(ISSUER, API_ID, http_client=client, clock=clock)
    assert (await strict.verify(tokens["access_token"])).sub == USER.id
    form = {"token": tokens["refresh_token"]}
    revoked = await client.post("/oauth/revoke", data=form, headers=authenticate(app_client, form))
    assert revoked.status_code == 200
    clock.advance(6)  # Past strict mode's answer cache.
    with pytest.raises(InvalidTokenError):
        await strict.verify(tokens["access_token"])
    assert (await plain.verify(tokens["access_token"])).sub == USER.id  # Until it expires.


@pytest.fixture
async def sample_api(client: httpx.AsyncClient, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    api = create_api_app(issuer=ISSUER, audience=API_ID, http_client=client, clock=clock)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8001") as http:
        yield http


async def test_the_sample_api_answers_the_seed_call(
    sample_api: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await sample_api.get("/api", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200 and response.json()["sub"] == USER.id
    write = await sample_api.post(
        "/api/messages", json={"text": "hi"}, headers=bearer(tokens["access_token"])
    )
    assert write.status_code == 403
    assert write.headers["www-authenticate"].endswith('scope="write:messages"')


async def test_the_sample_api_refuses_the_id_token(
    sample_api: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await sample_api.get("/api", headers=bearer(tokens["id_token"]))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
