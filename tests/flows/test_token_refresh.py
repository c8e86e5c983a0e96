"""POST /oauth/token with grant_type=refresh_token: rotation, reuse, grace, scope, lifetimes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.crypto.jwt import id_token_hash
from tessera.crypto.keys import Algorithm
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.grants import (
    RegisteredClient,
    add_client,
    obtain_tokens,
    refresh,
)
from tests.support.tokens import bearer, claims_of


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, app_client, now=int(clock.now))


def is_refused(response: httpx.Response, error: str = "invalid_grant") -> bool:
    return response.status_code == 400 and response.json()["error"] == error


async def test_refresh_rotates_into_a_fresh_pair_with_a_refreshed_id_token(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    tokens: dict[str, Any],
    clock: Clock,
) -> None:
    clock.advance(100)
    response = await refresh(client, app_client, tokens["refresh_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    new = response.json()
    assert new["refresh_token"].startswith("tsr_rt_")
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    keys = rt.keyring.verification_keys
    first = claims_of(tokens["id_token"], keys, ISSUER, clock.now)
    again = claims_of(new["id_token"], keys, ISSUER, clock.now)
    for same in ("iss", "sub", "aud", "azp", "auth_time", "sid"):
        assert again[same] == first[same]
    assert again["iat"] == int(clock.now) and "nonce" not in again
    assert again["at_hash"] == id_token_hash(new["access_token"], Algorithm.RS256)


async def test_a_rotated_token_presented_again_revokes_the_whole_family(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    tokens: dict[str, Any],
) -> None:
    new = (await refresh(client, app_client, tokens["refresh_token"])).json()
    assert is_refused(await refresh(client, app_client, tokens["refresh_token"]))
    assert is_refused(await refresh(client, app_client, new["refresh_token"]))
    userinfo = await client.get("/userinfo", headers=bearer(new["access_token"]))
    assert userinfo.status_code == 401
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(10)]
    assert "refresh_token.reused" in events


async def test_inside_the_grace_window_a_retry_gets_a_valid_pair(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    graceful = await add_client(rt.store, public=True, refresh_grace_seconds=30)
    tokens = await obtain_tokens(client, rt.store, graceful, now=int(clock.now))
    lost = (await refresh(client, graceful, tokens["refresh_token"])).json()
    clock.advance(30)
    retry = await refresh(client, graceful, tokens["refresh_token"])
    assert retry.status_code == 200
    current = retry.json()
    assert (await refresh(client, graceful, current["refresh_token"])).status_code == 200
    # The lost successor was retired: it counts as rotated, not as live.
    clock.advance(31)
    assert is_refused(await refresh(client, graceful, lost["refresh_token"]))


async def test_outside_the_grace_window_reuse_still_revokes(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    graceful = await add_client(rt.store, public=True, refresh_grace_seconds=30)
    tokens = await obtain_tokens(client, rt.store, graceful, now=int(clock.now))
    new = (await refresh(client, graceful, tokens["refresh_token"])).json()
    clock.advance(31)
    assert is_refused(await refresh(client, graceful, tokens["refresh_token"]))
    assert is_refused(await refresh(client, graceful, new["refresh_token"]))


async def test_a_narrower_scope_narrows_the_access_token_not_the_refresh_token(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    tokens: dict[str, Any],
    clock: Clock,
) -> None:
    narrow = await refresh(client, app_client, tokens["refresh_token"], scope="read:x")
    assert narrow.status_code == 200
    body = narrow.json()
    assert body["scope"] == "read:x" and "id_token" not in body
    claims = claims_of(body["access_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert claims["scope"] == "read:x"
    # RFC 6749 6: the new refresh token has the scope of the one it replaces.
    full = (await refresh(client, app_client, body["refresh_token"])).json()
    assert full["scope"] == tokens["scope"] and "id_token" in full


async def test_a_wider_scope_is_refused_and_the_token_still_works(
    client: httpx.AsyncClient, app_client: RegisteredClient, tokens: dict[str, Any]
) -> None:
    wider = await refresh(client, app_client, tokens["refresh_token"], scope="openid write:x")
    assert is_refused(wider, "invalid_scope")
    assert (await refresh(client, app_client, tokens["refresh_token"])).status_code == 200


async def test_refresh_tokens_slide_but_never_outlive_the_grant(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(
        client, rt.store, app_client, now=int(clock.now), family_lifetime=1000
    )
    clock.advance(600)
    new = (await refresh(client, app_client, tokens["refresh_token"])).json()
    clock.advance(400)
    assert is_refused(await refresh(client, app_client, new["refresh_token"]))


async def test_access_tokens_never_outlive_the_grant(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    tokens = await obtain_tokens(
        client, rt.store, app_client, now=int(clock.now), family_lifetime=1000
    )
    ends_at = int(clock.now) + 1000
    clock.advance(600)
    new = (await refresh(client, app_client, tokens["refresh_token"])).json()
    assert new["expires_in"] == 400
    assert (
        claims_of(new["access_token"], rt.keyring.verification_keys, ISSUER, clock.now)["exp"]
        == ends_at
    )


async def test_the_sliding_lifetime_ends_an_idle_token(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    tokens: dict[str, Any],
    clock: Clock,
) -> None:
    clock.advance(rt.settings.refresh_token_sliding_lifetime)
    assert is_refused(await refresh(client, app_client, tokens["refresh_token"]))


async def test_another_clients_refresh_token_is_invalid_grant(
    client: httpx.AsyncClient, rt: Runtime, tokens: dict[str, Any]
) -> None:
    other = await add_client(rt.store, public=True)
    assert is_refused(await refresh(client, other, tokens["refresh_token"]))


async def test_a_revoked_grant_cannot_be_refreshed(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    tokens: dict[str, Any],
    clock: Clock,
) -> None:
    access = claims_of(tokens["access_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    async with rt.store.transaction() as tx:
        await tx.grants.revoke(access["jti"].split(".")[0], int(clock.now))
    assert is_refused(await refresh(client, app_client, tokens["refresh_token"]))


async def test_unknown_or_missing_refresh_token(
    client: httpx.AsyncClient, app_client: RegisteredClient
) -> None:
    assert is_refused(await refresh(client, app_client, "tsr_rt_unknown"))
    assert is_refused(await refresh(client, app_client, "tsr_rt_unknown", scope="openid"))
    missing = await client.post(
        "/oauth/token", data={"grant_type": "refresh_token", "client_id": app_client.client_id}
    )
    assert is_refused(missing, "invalid_request")
