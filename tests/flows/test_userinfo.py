"""GET|POST /userinfo (OIDC Core 5.3) with RFC 6750 Bearer credentials and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    USER,
    RegisteredClient,
    delete_user_bypassing_cascades,
    obtain_tokens,
)
from tests.support.tokens import bearer

FULL_PROFILE = {
    "sub": USER.id,
    "preferred_username": USER.username,
    "name": USER.name,
    "email": USER.email,
    "email_verified": True,
}


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, app_client, now=int(clock.now))


def challenge(response: httpx.Response) -> str:
    return response.headers["www-authenticate"]


async def test_get_with_a_bearer_header_returns_the_claims_of_the_scope(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200 and response.json() == FULL_PROFILE
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_post_with_the_token_in_the_header_or_the_form_body(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    in_header = await client.post("/userinfo", headers=bearer(tokens["access_token"]))
    in_body = await client.post("/userinfo", data={"access_token": tokens["access_token"]})
    assert in_header.json() == in_body.json() == FULL_PROFILE


async def test_claims_follow_the_granted_scope(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(
        client, rt.store, app_client, now=int(clock.now), scope=("openid", "email")
    )
    response = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.json() == {"sub": USER.id, "email": USER.email, "email_verified": True}


async def test_no_token_gets_a_bare_challenge(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/userinfo"), await client.post("/userinfo")):
        assert response.status_code == 401
        assert challenge(response) == 'Bearer realm="tessera"'


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
    ids=["garbage", "alg-none"],
)
async def test_an_invalid_token_is_401_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/userinfo", headers=bearer(token))
    assert response.status_code == 401 and 'error="invalid_token"' in challenge(response)


async def test_an_expired_token_is_invalid(
    client: httpx.AsyncClient, tokens: dict[str, Any], clock: Clock
) -> None:
    clock.advance(86400)
    response = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and 'error="invalid_token"' in challenge(response)


async def test_the_id_token_is_not_an_access_token(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await client.get("/userinfo", headers=bearer(tokens["id_token"]))
    assert response.status_code == 401


async def test_a_token_without_openid_is_403_insufficient_scope(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(
        client, rt.store, app_client, now=int(clock.now), scope=("read:x",)
    )
    response = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in challenge(response)
    assert 'scope="openid"' in challenge(response)


async def test_the_token_twice_or_a_json_body_is_400_invalid_request(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    twice = await client.post(
        "/userinfo",
        headers=bearer(tokens["access_token"]),
        data={"access_token": tokens["access_token"]},
    )
    assert twice.status_code == 400 and 'error="invalid_request"' in challenge(twice)
    as_json = await client.post("/userinfo", json={"access_token": tokens["access_token"]})
    assert as_json.status_code == 400


async def test_a_deleted_user_makes_the_token_useless(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    clock: Clock,
    database_url: str,
) -> None:
    tokens = await obtain_tokens(client, rt.store, app_client, now=int(clock.now))
    await delete_user_bypassing_cascades(database_url, USER.id)
    response = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
