"""Client and API lookups served from memory: never staler than the database.

Two stores on one database stand for the server and the CLI (or two workers): a change
made through either is what the other's next lookup returns, on both engines. On
SQLite, repeated lookups are checked to skip the SELECT; the caches must not outlive a
rolled-back transaction nor mix up two databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from tessera.core.audit_events import Event
from tessera.core.models import Api, ApiScope, AuthMethod, Client, GrantType
from tessera.crypto.keys import Algorithm
from tessera.store import Store, migrate
from tessera.store.lookups import VersionedCache

NOW = 1_800_000_000
CLIENT = Client(
    client_id="client-1",
    name="App",
    secret_hash=b"\x01" * 32,
    redirect_uris=("https://app.test/cb",),
    post_logout_redirect_uris=(),
    grant_types=frozenset({GrantType.AUTHORIZATION_CODE}),
    auth_method=AuthMethod.CLIENT_SECRET_BASIC,
    first_party=False,
    allowed_scopes=None,
    id_token_alg=Algorithm.RS256,
    refresh_grace_seconds=0,
    created_at=NOW,
)
API = Api(
    id="api-1",
    identifier="https://api.example.test",
    name="API",
    scopes=(ApiScope(name="read:x"),),
    access_token_lifetime=600,
    signing_alg=Algorithm.RS256,
    created_at=NOW,
)


class RollBack(Exception):
    """Raised inside a transaction to roll it back."""


async def lookup(store: Store) -> tuple[Client | None, Api | None]:
    async with store.transaction() as tx:
        return await tx.clients.get(CLIENT.client_id), await tx.apis.get_by_identifier(
            API.identifier
        )


async def test_another_connections_changes_show_in_the_next_lookup(
    stores: tuple[Store, Store],
) -> None:
    server, cli = stores
    assert await lookup(server) == (None, None)
    async with cli.transaction() as tx:
        await tx.clients.add(CLIENT)
        await tx.apis.add(API)
    assert await lookup(server) == (CLIENT, API)
    assert await lookup(server) == (CLIENT, API)

    changed_client = replace(CLIENT, redirect_uris=("https://app.test/other",))
    changed_api = replace(API, access_token_lifetime=60)
    async with cli.transaction() as tx:
        await tx.clients.delete(CLIENT.client_id)
        await tx.clients.add(changed_client)
        await tx.apis.delete(API.identifier)
        await tx.apis.add(changed_api)
    assert await lookup(server) == (changed_client, changed_api)

    async with cli.transaction() as tx:
        await tx.clients.delete(CLIENT.client_id)
        await tx.apis.delete(API.identifier)
    assert await lookup(server) == (None, None)


async def test_own_changes_show_in_the_next_lookup(stores: tuple[Store, Store]) -> None:
    server, _ = stores
    async with server.transaction() as tx:
        await tx.clients.add(CLIENT)
        await tx.apis.add(API)
    assert await lookup(server) == (CLIENT, API)
    async with server.transaction() as tx:
        await tx.clients.delete(CLIENT.client_id)
        assert await tx.clients.get(CLIENT.client_id) is None
        await tx.apis.delete(API.identifier)
    assert await lookup(server) == (None, None)


async def test_a_deleted_api_drops_out_of_its_clients_next_lookup(
    stores: tuple[Store, Store],
) -> None:
    """A client is cached with its API access: deleting the API must reach it."""
    server, cli = stores
    machine = replace(CLIENT, apis=frozenset({API.identifier}))
    async with cli.transaction() as tx:
        await tx.apis.add(API)
        await tx.clients.add(machine)
    assert await lookup(server) == (machine, API)
    async with cli.transaction() as tx:
        await tx.apis.delete(API.identifier)
    assert await lookup(server) == (replace(machine, apis=frozenset()), None)


async def test_what_a_rolled_back_transaction_read_is_not_kept(
    stores: tuple[Store, Store],
) -> None:
    server, _ = stores
    with pytest.raises(RollBack):
        async with server.transaction() as tx:
            await tx.clients.add(CLIENT)
            await tx.apis.add(API)
            assert await tx.clients.get(CLIENT.client_id) == CLIENT
            assert await tx.apis.get_by_identifier(API.identifier) == API
            raise RollBack
    assert await lookup(server) == (None, None)


@contextmanager
def selects_on(store: Store) -> Iterator[list[str]]:
    """The SELECT statements the store sends meanwhile."""
    seen: list[str] = []
    with store.database.observe(
        lambda sql: seen.append(sql) if sql.lstrip().upper().startswith("SELECT") else None
    ):
        yield seen


async def test_sqlite_lookups_skip_the_select_until_something_changes(
    stores: tuple[Store, Store],
) -> None:
    server, cli = stores
    if server.database.dialect != "sqlite":
        pytest.skip("PostgreSQL lookups always query: it has no cheap change signal")
    async with cli.transaction() as tx:
        await tx.clients.add(CLIENT)
        await tx.apis.add(API)
    with selects_on(server) as selects:
        await lookup(server)
    assert len(selects) == 2
    with selects_on(server) as selects:
        await lookup(server)
        await lookup(server)
    assert selects == []
    async with cli.transaction() as tx:
        await tx.users.get("anyone")  # A read-only transaction changes nothing.
    with selects_on(server) as selects:
        await lookup(server)
    assert selects == []
    async with cli.transaction() as tx:
        await tx.audit.record(Event.LOGOUT, NOW)
    with selects_on(server) as selects:
        await lookup(server)
    assert len(selects) == 2  # Any other connection's commit invalidates (data_version).


async def test_two_sqlite_databases_never_share_cached_values(tmp_path: Path) -> None:
    """Both files hold a client with the same id but different values."""
    stores = []
    for name, client in (("a", CLIENT), ("b", replace(CLIENT, name="Other app"))):
        url = f"sqlite:///{tmp_path / name}.db"
        migrate.upgrade(url)
        store = await Store.open(url)
        async with store.transaction() as tx:
            await tx.clients.add(client)
        stores.append(store)
    try:
        for _ in range(2):
            assert [(await lookup(store))[0] for store in stores] == [
                CLIENT,
                replace(CLIENT, name="Other app"),
            ]
    finally:
        for store in stores:
            await store.close()


def test_a_new_version_empties_the_cache_and_a_full_cache_starts_over() -> None:
    cache: VersionedCache[str] = VersionedCache(size=2)
    cache.put(1, "a", "A")
    assert cache.get(1, "a") == "A"
    assert cache.get(2, "a") is None
    cache.put(2, "a", "A2")
    cache.put(2, "b", "B2")
    cache.put(2, "c", "C2")
    assert (cache.get(2, "a"), cache.get(2, "b"), cache.get(2, "c")) == (None, None, "C2")
    assert cache.get(1, "c") is None
