"""Client authentication and request shape at the token endpoint (RFC 6749 2.3, 3.2, 5.2)."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import AuthMethod
from tessera.web.runtime import Runtime
from tests.support.grants import RegisteredClient, add_client
from tests.support.tokens import basic

FORM = {"grant_type": "client_credentials", "audience": "https://api.example.test"}


@pytest.fixture
async def basic_client(rt: Runtime) -> RegisteredClient:
    return await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_BASIC)


@pytest.fixture
async def post_client(rt: Runtime) -> RegisteredClient:
    return await add_client(rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST)


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_wrong_basic_secret_is_401_with_a_basic_challenge(
    client: httpx.AsyncClient, basic_client: RegisteredClient
) -> None:
    response = await client.post(
        "/oauth/token", data=FORM, headers=basic(basic_client.client_id, "tsr_cs_wrong")
    )
    assert_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic ")


async def test_wrong_post_secret_is_401_without_a_challenge(
    client: httpx.AsyncClient, post_client: RegisteredClient
) -> None:
    form = {**FORM, "client_id": post_client.client_id, "client_secret": "tsr_cs_wrong"}
    response = await client.post("/oauth/token", data=form)
    assert_error(response, 401, "invalid_client")
    assert "www-authenticate" not in response.headers


async def test_a_client_may_use_only_its_registered_method(
    client: httpx.AsyncClient, basic_client: RegisteredClient, post_client: RegisteredClient
) -> None:
    assert basic_client.secret is not None and post_client.secret is not None
    as_post = {**FORM, "client_id": basic_client.client_id, "client_secret": basic_client.secret}
    assert_error(await client.post("/oauth/token", data=as_post), 401, "invalid_client")
    as_basic = basic(post_client.client_id, post_client.secret)
    response = await client.post("/oauth/token", data=FORM, headers=as_basic)
    assert_error(response, 401, "invalid_client")
    assert "www-authenticate" in response.headers
    as_public = {**FORM, "client_id": basic_client.client_id}
    assert_error(await client.post("/oauth/token", data=as_public), 401, "invalid_client")


async def test_unknown_client_and_no_client_are_invalid_client(
    client: httpx.AsyncClient,
) -> None:
    assert_error(
        await client.post("/oauth/token", data={**FORM, "client_id": "nobody"}),
        401,
        "invalid_client",
    )
    assert_error(await client.post("/oauth/token", data=FORM), 401, "invalid_client")


async def test_unsupported_grant_type_and_unauthorized_client(
    client: httpx.AsyncClient, basic_client: RegisteredClient
) -> None:
    assert basic_client.secret is not None
    auth = basic(basic_client.client_id, basic_client.secret)
    password = {"grant_type": "password", "username": "a", "password": "b"}
    response = await client.post("/oauth/token", data=password, headers=auth)
    assert_error(response, 400, "unsupported_grant_type")
    response = await client.post("/oauth/token", data=FORM, headers=auth)
    assert_error(response, 400, "unauthorized_client")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"grant_type=refresh_token&grant_type=refresh_token", "application/x-www-form-urlencoded"),
        (b'{"grant_type": "refresh_token"}', "application/json"),
        (b"client_id=x", "application/x-www-form-urlencoded"),
    ],
    ids=["repeated-parameter", "json-body", "no-grant-type"],
)
async def test_malformed_requests_are_invalid_request(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await client.post(
        "/oauth/token", content=content, headers={"content-type": content_type}
    )
    assert_error(response, 400, "invalid_request")


async def test_the_token_endpoint_only_answers_post(client: httpx.AsyncClient) -> None:
    assert (await client.get("/oauth/token")).status_code == 405
