"""A server does not start while a client or API signs with an algorithm it does not
enable: it names them, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tessera.core.signing_algorithms import AlgorithmNotEnabledError, verify_algorithms_in_use
from tessera.crypto.keys import Algorithm
from tessera.store import Store
from tests.support.grants import add_api, add_client

ENABLED = (Algorithm.RS256, Algorithm.ES256)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=2)
    yield opened
    await opened.close()


async def verify(store: Store) -> None:
    async with store.read_transaction() as tx:
        await verify_algorithms_in_use(tx, ENABLED)


async def test_clients_and_apis_on_enabled_algorithms_let_the_server_start(store: Store) -> None:
    await add_client(store, public=True, id_token_alg=Algorithm.ES256)
    await add_api(store, alg=Algorithm.RS256)
    await verify(store)


async def test_a_client_on_a_disabled_algorithm_stops_the_server_with_one_line(
    store: Store,
) -> None:
    client = await add_client(store, public=True, id_token_alg=Algorithm.EDDSA)
    with pytest.raises(AlgorithmNotEnabledError) as refused:
        await verify(store)
    assert str(refused.value) == (
        "TESSERA_SIGNING_ALGORITHMS (now RS256, ES256) leaves out EdDSA, used by "
        f"client {client.client_id}: add it, or delete what uses it"
    )


async def test_many_clients_and_apis_are_counted_past_the_first_three(store: Store) -> None:
    for _ in range(3):
        await add_client(store, public=True, id_token_alg=Algorithm.EDDSA)
    await add_api(store, "https://api.test", alg=Algorithm.EDDSA)
    shown = r"used by client \S+, client \S+, client \S+ and 1 more: "
    with pytest.raises(AlgorithmNotEnabledError, match=shown):
        await verify(store)
