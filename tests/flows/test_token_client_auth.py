"""Client authentication and request shape at the token endpoint (RFC 6749 2.3, 3.2, 5.2)."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import AuthMethod, GrantType
from tessera.web.runtime import Runtime
from tests.support.grants import API_ID, RegisteredClient, add_api, add_client
from tests.support.tokens import basic

FORM = {"grant_type": "client_credentials", "audience": API_ID}


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


async def test_a_client_that_pinned_no_method_may_use_basic_or_post(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    """As openid-client (client_secret_post by default) and Authlib (basic) each send."""
    await add_api(rt.store)
    unpinned = await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )
    assert unpinned.secret is not None
    as_basic = await client.post(
        "/oauth/token", data=FORM, headers=basic(unpinned.client_id, unpinned.secret)
    )
    assert as_basic.status_code == 200, as_basic.text
    as_post = {**FORM, "client_id": unpinned.client_id, "client_secret": unpinned.secret}
    assert (await client.post("/oauth/token", data=as_post)).status_code == 200
    as_public = {**FORM, "client_id": unpinned.client_id}
    refused = await client.post("/oauth/token", data=as_public)
    assert_error(refused, 401, "invalid_client")
    assert refused.json()["error_description"] == (
        "Client authentication failed: "
        "the client is registered for client_secret_basic or client_secret_post."
    )


async def test_a_refused_method_is_named_with_the_one_registered(
    client: httpx.AsyncClient, basic_client: RegisteredClient, post_client: RegisteredClient
) -> None:
    assert basic_client.secret is not None and post_client.secret is not None
    as_post = {**FORM, "client_id": basic_client.client_id, "client_secret": basic_client.secret}
    response = await client.post("/oauth/token", data=as_post)
    assert response.json()["error_description"] == (
        "Client authentication failed: the client is registered for client_secret_basic."
    )
    response = await client.post(
        "/oauth/token", data=FORM, headers=basic(post_client.client_id, post_client.secret)
    )
    assert response.json()["error_description"] == (
        "Client authentication failed: the client is registered for client_secret_post."
    )
    # A wrong secret or an unknown client names nothing.
    for refused in (
        await client.post(
            "/oauth/token", data=FORM, headers=basic(basic_client.client_id, "tsr_cs_wrong")
        ),
        await client.post("/oauth/token", data=FORM, headers=basic("nobody", "tsr_cs_x")),
    ):
        assert refused.json()["error_description"] == "Client authentication failed."


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
