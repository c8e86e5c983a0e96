"""RefreshTokenRepo.get, rotation bound to the token's client, and concurrent rotation,
on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tessera.core.models import RefreshToken
from tessera.core.ports import ForeignRefreshTokenError, RefreshReusedError
from tessera.store import Store
from tests.support.grants import USER, RegisteredClient, add_client, add_grant, add_user

NOW = 1_800_000_000


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=8)
    yield opened
    await opened.close()


@pytest.fixture
async def owner(store: Store) -> RegisteredClient:
    return await add_client(store, public=True)


@pytest.fixture
async def token(store: Store, owner: RegisteredClient) -> RefreshToken:
    await add_user(store, USER)
    issued = await add_grant(store, owner, now=NOW)
    token = RefreshToken(
        token_hash=b"r" * 32,
        grant_id=issued.grant.id,
        scope=frozenset({"openid", "offline_access"}),
        created_at=NOW,
        expires_at=NOW + 100,
    )
    async with store.transaction() as tx:
        await tx.refresh_tokens.add(token)
    return token


async def test_get_returns_the_token_rotated_or_not(
    store: Store, owner: RegisteredClient, token: RefreshToken
) -> None:
    async with store.transaction() as tx:
        assert await tx.refresh_tokens.get(token.token_hash) == token
        assert await tx.refresh_tokens.get(b"x" * 32) is None
        await tx.refresh_tokens.rotate(token.token_hash, owner.client_id, NOW + 1)
        rotated = await tx.refresh_tokens.get(token.token_hash)
    assert rotated is not None and rotated.rotated_at == NOW + 1


async def test_another_clients_token_is_neither_rotated_nor_reported_reused(
    store: Store, owner: RegisteredClient, token: RefreshToken
) -> None:
    other = await add_client(store, public=True)
    async with store.transaction() as tx:
        with pytest.raises(ForeignRefreshTokenError) as live:
            await tx.refresh_tokens.rotate(token.token_hash, other.client_id, NOW + 1)
        assert live.value.token == token and live.value.owner == owner.client_id
        assert await tx.refresh_tokens.get(token.token_hash) == token
        await tx.refresh_tokens.rotate(token.token_hash, owner.client_id, NOW + 2)
        with pytest.raises(ForeignRefreshTokenError) as rotated:
            await tx.refresh_tokens.rotate(token.token_hash, other.client_id, NOW + 3)
    assert rotated.value.token.rotated_at == NOW + 2


async def test_concurrent_rotation_succeeds_exactly_once(
    store: Store, owner: RegisteredClient, token: RefreshToken
) -> None:
    async def rotate() -> str:
        try:
            async with store.transaction() as tx:
                await tx.refresh_tokens.rotate(token.token_hash, owner.client_id, NOW + 1)
                await asyncio.sleep(0.01)  # Hold the transaction open across a yield.
                return "rotated"
        except RefreshReusedError:
            return "reused"

    results = await asyncio.gather(*(rotate() for _ in range(6)))
    assert sorted(results) == ["reused"] * 5 + ["rotated"]
